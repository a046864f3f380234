"""`python-odata`, a generic OData v4 client, against both reference services over TLS:
it reads their `$metadata` and reads and writes rows with what it learned, as it would
against Dataverse and Business Central."""

from __future__ import annotations

import uuid

import pytest
import requests
from odata import ODataService
from odata.exceptions import ODataError
from odata.property import StringProperty, UUIDProperty

from tests.clients.conftest import Services

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _session(services: Services, side: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + services.token(side)
    session.verify = str(services.ca)
    # Otherwise REQUESTS_CA_BUNDLE from the environment wins over `verify` (requests merges
    # the environment's settings over the session's).
    session.trust_env = False
    return session


def test_reflects_the_crm_and_writes_an_account(services: Services) -> None:
    with _session(services, "crm") as session:
        crm = ODataService(
            f"{services.crm}/api/data/v9.2/",
            reflect_entities=True,
            session=session,
            quiet_progress=True,
            # Dataverse answers a create with 204 and the new row's URL unless asked for
            # the row; python-odata needs the row to learn the key.
            extra_headers={"Prefer": "return=representation"},
        )
        assert {"accounts", "contacts", "salesorders", "products"} <= set(crm.entities)
        Account = crm.entities["accounts"]
        # Read-only columns (createdon, _createdby_value, …) are known from $metadata and
        # left out of the create.
        account = Account()
        account.name = f"OData Traders {uuid.uuid4().hex[:6]}"
        account.address1_city = "Lisbon"
        crm.save(account)
        assert uuid.UUID(str(account.accountid))
        found = crm.query(Account).filter(Account.name == account.name).first()
        assert (found.accountid, found.address1_city) == (account.accountid, "Lisbon")
        found.telephone1 = "555-0199"
        crm.save(found)
        again = crm.query(Account).filter(Account.accountid == account.accountid).first()
        assert again.telephone1 == "555-0199"
        crm.delete(again)
        assert crm.query(Account).filter(Account.accountid == account.accountid).all() == []
        # A write the CRM refuses surfaces as the client's error with Dataverse's code.
        bad = Account()
        bad.name = "x" * 200
        with pytest.raises(ODataError):
            crm.save(bad)


def test_reads_the_erp_metadata_and_writes_a_customer(services: Services) -> None:
    with _session(services, "erp") as session:
        root = f"{services.bc_root}/"
        erp = ODataService(root, reflect_entities=False, session=session, quiet_progress=True)
        # The client's own parser reads every entity set and type of the API group. (Its
        # full reflection stops at Business Central's enum members named `_x0020_` (the
        # blank option), which a Python Enum cannot hold; real Business Central names them
        # so too, so the entities are declared below from what was parsed.)
        schemas, entity_sets, _actions, _functions = erp.metadata.parse_document(
            erp.metadata.load_document()
        )
        assert {"companies", "customers", "salesOrders", "items"} <= set(entity_sets)
        [schema] = schemas
        types = {t["name"]: t for t in schema["entities"]}
        customer_type = types["customer"]
        properties = {p["name"]: p for p in customer_type["properties"]}
        assert {"id", "number", "displayName", "city", "phoneNumber"} <= set(properties)
        assert [p["name"] for p in properties.values() if p["is_primary_key"]] == ["id"]

        class Company(erp.Entity):  # type: ignore[name-defined,misc]
            __odata_type__ = "Microsoft.NAV.company"
            __odata_collection__ = "companies"
            id = UUIDProperty("id", primary_key=True)
            name = StringProperty("name")

        company = erp.query(Company).first()

        class Customer(erp.Entity):  # type: ignore[name-defined,misc]
            __odata_type__ = "Microsoft.NAV.customer"
            # Business Central's entity sets hang under their company.
            __odata_collection__ = f"companies({company.id})/customers"
            id = UUIDProperty("id", primary_key=True)
            number = StringProperty("number")
            displayName = StringProperty("displayName")
            city = StringProperty("city")
            phoneNumber = StringProperty("phoneNumber")

        customer = Customer()
        customer.displayName = "OData Customer"
        customer.city = "Porto"
        erp.save(customer)
        assert customer.id and customer.number
        found = erp.query(Customer).filter(Customer.displayName == "OData Customer").first()
        assert (found.id, found.city) == (customer.id, "Porto")
        found.phoneNumber = "555-0142"
        # Business Central requires If-Match on updates and deletes; `*` matches any version.
        erp.default_context.save(found, extra_headers={"If-Match": "*"})
        assert erp.query(Customer).filter(Customer.id == customer.id).first().phoneNumber == (
            "555-0142"
        )
        erp.default_context.connection.execute_delete(
            found.__odata__.instance_url, extra_headers={"If-Match": "*"}
        )
        assert erp.query(Customer).filter(Customer.id == customer.id).all() == []
