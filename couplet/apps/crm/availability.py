"""`nav_GetItemAvailability`: a CRM user asks the ERP how much of a product is available.

The integration solution's custom API (docs/behaviour.md §8): only users with the
Product Availability User role (or System Administrators) may call it. The CRM reads the
ERP's availability endpoint and the read-only credential the integration stored in the
"BC Connection" entity (`nav_connection`), signs in to the ERP with OAuth client
credentials and reads the item's row. Quantities are in the item's base unit, or in the
product unit named by `UnitOfMeasure` (converted with that CRM unit's quantity).

    GET /api/data/v9.2/nav_GetItemAvailability(ProductNumber='1000',UnitOfMeasure='BOX')
    GET /api/data/v9.2/nav_GetItemAvailability(ProductNumber=@p)?@p='1000'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from .._common.errors import ODataError, bad_request
from .._common.http import Reply, Request
from .._common.records import Tx
from .._common.types import json_value
from .security import PRODUCT_AVAILABILITY_USER, has_role

NAME = "nav_GetItemAvailability"
HttpClientFactory = Callable[[str], httpx.Client]
_PARAM = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^']|'')*'|@[A-Za-z_0-9]+|[^,]*)\s*")
_BAD_GATEWAY = "0x80040216"


def default_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0, connect=10.0))


def handles(path: str) -> bool:
    return path == NAME or path.startswith(NAME + "(")


def _parameters(path: str, req: Request) -> dict[str, str]:
    inner = path[len(NAME) :].strip()
    if inner and not (inner.startswith("(") and inner.endswith(")")):
        raise bad_request(f"Call {NAME} as {NAME}(ProductNumber='...',UnitOfMeasure='...').")
    params: dict[str, str] = {}
    body = inner[1:-1] if inner else ""
    for part in filter(None, (p.strip() for p in body.split(","))):
        match = _PARAM.fullmatch(part)
        if match is None:
            raise bad_request(f"The parameter '{part}' of {NAME} is malformed.")
        name, raw = match.group(1), match.group(2).strip()
        if raw.startswith("@"):
            raw = req.query.get(raw, "")
        if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
            raw = raw[1:-1].replace("''", "'")
        params[name] = raw
    return params


def _unit_quantity(tx: Tx, product: dict[str, Any], unit: str) -> Decimal:
    """How many base units one `unit` of the product is (1 for its base unit)."""
    schedule = product.get("_defaultuomscheduleid_value")
    found = tx.first("uom", name=unit, _uomscheduleid_value=schedule) if schedule else None
    if found is None:
        raise bad_request(
            f"The unit {unit} is not a unit of product {product['productnumber']}.",
            target="UnitOfMeasure",
        )
    return Decimal(str(found["quantity"] or 1))


def _ask_erp(client: httpx.Client, connection: dict[str, Any], number: str) -> dict[str, Any]:
    token = client.post(
        str(connection["nav_tokenurl"]),
        data={
            "grant_type": "client_credentials",
            "client_id": str(connection["nav_dynamicsnavodatausername"] or ""),
            "client_secret": str(connection["nav_dynamicsnavodataaccesskey"] or ""),
            # Business Central's resource: what its identity platform token endpoint wants.
            "scope": "https://api.businesscentral.dynamics.com/.default",
        },
    )
    if token.status_code != 200:
        raise ODataError(502, f"The ERP refused the BC Connection's credential: {token.text}")
    escaped = number.replace("'", "''")
    answer = client.get(
        str(connection["nav_dynamicsnavodataurl"]),
        params={"$filter": f"itemNumber eq '{escaped}'"},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    if answer.status_code != 200:
        raise ODataError(502, f"The ERP answered {answer.status_code}: {answer.text}")
    rows: list[dict[str, Any]] = answer.json().get("value", [])
    if not rows:
        raise ODataError(404, f"The ERP has no item {number}.", "0x80040217")
    return rows[0]


def item_availability(tx: Tx, req: Request, clients: HttpClientFactory) -> Reply:
    if req.method != "GET":
        raise ODataError(405, f"{NAME} is a function; use GET.")
    principal = tx.principal
    if not principal.is_admin and not has_role(
        tx.conn, tx.model, principal.id, PRODUCT_AVAILABILITY_USER
    ):
        raise ODataError(
            403,
            f"Principal user (Id={principal.id}) needs the {PRODUCT_AVAILABILITY_USER} "
            f"role to call {NAME}.",
            "0x80040220",
        )
    params = _parameters(req.path.strip("/"), req)
    number = params.get("ProductNumber", "")
    if not number:
        raise bad_request(f"{NAME} needs ProductNumber.", target="ProductNumber")
    product = tx.first("product", productnumber=number)
    if product is None:
        raise ODataError(404, f"There is no product {number}.", "0x80040217")
    connection = tx.first("nav_connection")
    if connection is None or not connection.get("nav_dynamicsnavodataurl"):
        raise ODataError(
            409,
            "The BC Connection is not set up: the integration publishes it when item "
            "availability is enabled (`couplet availability publish`).",
        )
    client = clients(str(connection["nav_dynamicsnavurl"] or ""))
    try:
        row = _ask_erp(client, connection, number)
    except httpx.HTTPError as exc:
        raise ODataError(502, f"The ERP cannot be reached: {exc}", _BAD_GATEWAY) from exc
    finally:
        client.close()
    base_unit = str(row.get("baseUnitOfMeasureCode") or "")
    unit = params.get("UnitOfMeasure") or base_unit
    per = Decimal(1) if unit == base_unit else _unit_quantity(tx, product, unit)

    def amount(name: str) -> object:
        return json_value((Decimal(str(row.get(name) or 0)) / per).quantize(Decimal("0.00001")))

    return Reply(
        200,
        {
            "@odata.context": f"{req.base_url}$metadata#Microsoft.Dynamics.CRM.{NAME}Response",
            "ProductNumber": number,
            "UnitOfMeasure": unit,
            "Inventory": amount("inventory"),
            "QuantityOnSalesOrders": amount("quantityOnSalesOrders"),
            "AvailableInventory": amount("availableInventory"),
        },
    )
