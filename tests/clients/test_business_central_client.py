"""`pybusinesscentral`, a client generated (OpenAPI Generator) from Microsoft's description
of the Business Central API v2.0, against the reference ERP over TLS at Business Central
online's root (`/v2.0/{tenant}/{environment}/api/v2.0`), signed in by azure-identity at the
ERP's identity endpoint with Business Central's scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pybusinesscentral import ApiClient, ApiException, Configuration
from pybusinesscentral.api.company_api import CompanyApi
from pybusinesscentral.api.customer_api import CustomerApi
from pybusinesscentral.model.item import Item
from pybusinesscentral.model.post_customer_request import PostCustomerRequest
from pybusinesscentral.model.sales_order import SalesOrder
from pybusinesscentral.model.sales_order_line import SalesOrderLine

from tests.clients.conftest import Services

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

JSON = "application/json"


@pytest.fixture
def api(services: Services) -> Iterator[ApiClient]:
    config = Configuration(
        host=services.bc_root, access_token=services.token("erp"), ssl_ca_cert=str(services.ca)
    )
    with ApiClient(config) as client:
        yield client
        # (Its exit keeps the pooled connections. Closed here: the server's TLS shutdown
        # waits for open connections to say goodbye.)
        client.rest_client.pool_manager.clear()


def _company(api: ApiClient) -> str:
    companies = CompanyApi(api).list_companies()
    assert companies.value and companies.value[0].name == "CRONUS"
    return str(companies.value[0].id)


def _call(api: ApiClient, method: str, path: str, body: Any, answer: str, company: str) -> Any:
    """An operation the generated client has models for but no method (items, sales
    orders), sent through its own ApiClient: its URL building, auth, serialization and
    deserialization into the generated models."""
    request = api.param_serialize(
        method=method,
        resource_path=path,
        path_params={"company_id": company},
        header_params={"Content-Type": JSON, "Accept": JSON},
        body=body,
        auth_settings=["oAuth"],
    )
    response = api.call_api(*request)
    response.read()
    return api.response_deserialize(response, {"201": answer, "200": answer}).data


def test_customer_create_read_list_update_delete(api: ApiClient) -> None:
    company = _company(api)
    customers = CustomerApi(api)
    made = customers.post_customer(
        company, JSON, PostCustomerRequest(display_name="Generated Bikes", city="Redmond")
    )
    assert made.id and made.number and made.city == "Redmond"
    assert customers.get_customer(company, made.id).display_name == "Generated Bikes"
    listed = customers.list_customers(
        company, filter="displayName eq 'Generated Bikes'", select=["id", "displayName"], top=5
    )
    assert [c.id for c in listed.value or []] == [made.id]

    # Updates and deletes need the row's version (If-Match), as in Business Central.
    answer = customers.get_customer_with_http_info(company, made.id)
    etag = json.loads(answer.raw_data)["@odata.etag"]
    updated = customers.patch_customer(
        company, made.id, JSON, etag, PostCustomerRequest(phone_number="555-0100")
    )
    assert updated.phone_number == "555-0100"
    with pytest.raises(ApiException) as stale:
        customers.patch_customer(
            company, made.id, JSON, etag, PostCustomerRequest(phone_number="555-0101")
        )
    assert stale.value.status == 412
    with pytest.raises(ApiException) as unversioned:
        customers.delete_customer(company, made.id)
    assert unversioned.value.status == 428
    customers.delete_customer(company, made.id, _headers={"If-Match": "*"})
    with pytest.raises(ApiException) as gone:
        customers.get_customer(company, made.id)
    assert gone.value.status == 404


def test_sales_order_with_lines(api: ApiClient) -> None:
    company = _company(api)
    customer = CustomerApi(api).post_customer(
        company, JSON, PostCustomerRequest(display_name="Order Taker")
    )
    item = _call(
        api,
        "POST",
        "/companies({company_id})/items",
        Item(display_name="Touring Bike", unit_price=250),
        "Item",
        company,
    )
    assert item.id and item.unit_price == 250
    order = SalesOrder(
        customer_id=customer.id,
        sales_order_lines=[
            SalesOrderLine(line_type="Item", item_id=item.id, quantity=3),
            SalesOrderLine(line_type="Comment", description="Deliver to the back door"),
        ],
    )
    made = _call(api, "POST", "/companies({company_id})/salesOrders", order, "SalesOrder", company)
    assert made.number and made.customer_id == customer.id
    assert made.customer_number == customer.number
    assert made.total_amount_excluding_tax == 750
    lines = _call(
        api,
        "GET",
        f"/companies({{company_id}})/salesOrders({made.id})?$expand=salesOrderLines($orderby=sequence)",
        None,
        "SalesOrder",
        company,
    ).sales_order_lines
    assert [(line.line_type, line.quantity, line.amount_excluding_tax) for line in lines] == [
        ("Item", 3, 750),
        ("Comment", 0, 0),
    ]


def test_batch_in_business_central_json_format(services: Services, api: ApiClient) -> None:
    # pybusinesscentral has no $batch, so the batch is sent with plain requests in the JSON
    # batch format Business Central documents (inner URLs relative to the API root).
    company = _company(api)
    token = api.configuration.access_token
    body = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": f"companies({company})/customers",
                "headers": {"Content-Type": JSON},
                "body": {"displayName": "Batch Bikes"},
            },
            {
                "id": "2",
                "method": "GET",
                "url": f"companies({company})/customers?$filter=displayName eq 'Batch Bikes'",
            },
        ]
    }
    answer = requests.post(
        f"{services.bc_root}/$batch",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Accept": JSON},
        verify=str(services.ca),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    responses = {r["id"]: r for r in answer.json()["responses"]}
    assert (responses["1"]["status"], responses["2"]["status"]) == (201, 200)
    made = responses["1"]["body"]["id"]
    assert [c["id"] for c in responses["2"]["body"]["value"]] == [made]
    # What the batch wrote the generated client reads.
    assert CustomerApi(api).get_customer(company, made).display_name == "Batch Bikes"
