"""Each API group's `$metadata` (docs/protocols.md §B14): well-formed CSDL that a client can
reflect, describing exactly what the entity sets answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from couplet.apps.erp.seed import open_erp_tx, seed_erp
from tests.helpers import ERP_API, ERP_CUSTOM, ErpClient

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
COMPUTED = "Org.OData.Core.V1.Computed"
ONLINE = "/v2.0/contoso/Production"
# Sets the sample data leaves empty (their properties are compared where rows exist).
NO_SAMPLE_ROWS = {
    "customerPayments",
    "customerPriceGroups",
    "notes",
    "opportunities",
    "salesQuoteArchiveLines",
    "salesQuoteArchives",
}


def _schema(erp: ErpClient, group_root: str) -> ET.Element:
    r = erp.http.get(group_root + "$metadata", headers=erp.headers())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    schema = ET.fromstring(r.content).find(f".//{EDM}Schema")
    assert schema is not None and schema.get("Namespace") == "Microsoft.NAV"
    return schema


def _types(schema: ET.Element) -> dict[str, ET.Element]:
    return {t.get("Name", ""): t for t in schema.iter(f"{EDM}EntityType")}


def _properties(entity_type: ET.Element) -> dict[str, ET.Element]:
    return {p.get("Name", ""): p for p in entity_type.findall(f"{EDM}Property")}


def _sets(schema: ET.Element) -> dict[str, str]:
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    return {
        s.get("Name", ""): s.get("EntityType", "").removeprefix("Microsoft.NAV.")
        for s in container.findall(f"{EDM}EntitySet")
    }


@pytest.mark.parametrize("group_root", [ERP_API, ERP_CUSTOM])
def test_every_entity_set_is_described_as_get_answers_it(
    erp: ErpClient, database_url: str, group_root: str
) -> None:
    with open_erp_tx(database_url) as tx:
        seed_erp(tx, seed=7, customers=4, items=3, resources=2, quotes=2, orders=2, invoices=2)
    schema = _schema(erp, group_root)
    types, sets = _types(schema), _sets(schema)
    listed = erp.http.get(group_root, headers=erp.headers()).json()
    assert listed["@odata.context"] == f"http://testserver{group_root}$metadata"
    assert set(sets) == {s["name"] for s in listed["value"]}
    empty = []
    for name, type_name in sets.items():
        url = group_root + "companies" if name == "companies" else None
        url = url or f"{group_root}companies({erp.company_id})/{name}"
        r = erp.http.get(url, headers=erp.headers(), params={"$top": "1"})
        assert r.status_code == 200, (name, r.text)
        rows = r.json()["value"]
        if not rows:
            empty.append(name)
            continue
        fields = {k for k in rows[0] if not k.startswith("@")}
        assert set(_properties(types[type_name])) == fields, name
    assert not set(empty) - NO_SAMPLE_ROWS, empty


def test_types_keys_read_only_fields_and_enums(erp: ErpClient) -> None:
    schema = _schema(erp, ERP_API)
    customer = _types(schema)["customer"]
    key = customer.find(f"{EDM}Key/{EDM}PropertyRef")
    assert key is not None and key.get("Name") == "id"
    props = _properties(customer)
    assert props["id"].get("Type") == "Edm.Guid" and props["id"].get("Nullable") == "false"
    assert props["displayName"].get("Type") == "Edm.String"
    assert props["displayName"].get("MaxLength") == "100"
    assert props["creditLimit"].get("Type") == "Edm.Decimal"
    assert props["lastModifiedDateTime"].get("Type") == "Edm.DateTimeOffset"
    assert props["taxLiable"].get("Type") == "Edm.Boolean"
    computed = {
        name
        for name, p in props.items()
        if p.find(f"{EDM}Annotation[@Term='{COMPUTED}']") is not None
    }
    assert {"lastModifiedDateTime", "balanceDue", "systemModifiedBy"} <= computed
    assert not computed & {"id", "displayName", "number", "creditLimit"}
    order = _properties(_types(schema)["salesOrder"])
    assert order["orderDate"].get("Type") == "Edm.Date"
    assert props["blocked"].get("Type") == "Microsoft.NAV.customerBlocked"
    enums = {e.get("Name"): e for e in schema.iter(f"{EDM}EnumType")}
    members = [m.get("Name") for m in enums["customerBlocked"].findall(f"{EDM}Member")]
    assert members == ["_x0020_", "Ship", "Invoice", "All"]
    # What the metadata says is computed, the service refuses to be written.
    r = erp.post("customers", {"displayName": "X", "balanceDue": 10})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BadRequest_InvalidOperation"


def test_every_type_reference_resolves(erp: ErpClient) -> None:
    for root in (ERP_API, ERP_CUSTOM, ONLINE + ERP_API):
        schema = _schema(erp, root)
        declared = {
            f"Microsoft.NAV.{t.get('Name')}"
            for kind in ("EntityType", "EnumType")
            for t in schema.iter(f"{EDM}{kind}")
        }
        used = {
            node.get("Type", "").removeprefix("Collection(").removesuffix(")")
            for node in schema.iter()
            if node.tag in (f"{EDM}Property", f"{EDM}NavigationProperty", f"{EDM}Parameter")
        }
        used |= {s.get("EntityType", "") for s in schema.iter(f"{EDM}EntitySet")}
        assert {u for u in used if u.startswith("Microsoft.NAV.")} <= declared, root


def test_navigation_properties_and_bound_actions(erp: ErpClient) -> None:
    standard, custom = _schema(erp, ERP_API), _schema(erp, ERP_CUSTOM)

    def navs(schema: ET.Element, type_name: str) -> dict[str, ET.Element]:
        return {
            n.get("Name", ""): n
            for n in _types(schema)[type_name].findall(f"{EDM}NavigationProperty")
        }

    lines = navs(standard, "salesOrder")["salesOrderLines"]
    assert lines.get("Type") == "Collection(Microsoft.NAV.salesOrderLine)"
    assert lines.get("ContainsTarget") == "true"
    assert navs(standard, "salesOrder")["customer"].get("Type") == "Microsoft.NAV.customer"
    company = navs(standard, "company")
    assert company["customers"].get("ContainsTarget") == "true"
    assert "resources" not in company and "resources" in navs(custom, "company")

    def actions(schema: ET.Element) -> set[tuple[str, str]]:
        found = set()
        for a in schema.iter(f"{EDM}Action"):
            assert a.get("IsBound") == "true"
            binding = a.find(f"{EDM}Parameter")
            assert binding is not None
            found.add((binding.get("Type", "").removeprefix("Microsoft.NAV."), a.get("Name", "")))
        return found

    assert {
        ("salesOrder", "shipAndInvoice"),
        ("salesQuote", "makeOrder"),
        ("salesInvoice", "post"),
        ("customerPaymentJournal", "post"),
    } <= actions(standard)
    assert ("salesOrder", "postShipment") not in actions(standard)
    assert ("salesOrder", "postShipment") in actions(custom)


def test_metadata_needs_sign_in_and_read_only_sets_say_so(erp: ErpClient) -> None:
    assert erp.http.get(ERP_API + "$metadata").status_code == 401
    container = _schema(erp, ERP_API).find(f"{EDM}EntityContainer")
    assert container is not None
    shipments = container.find(f"{EDM}EntitySet[@Name='salesShipments']")
    assert shipments is not None
    terms = {a.get("Term") for a in shipments.findall(f"{EDM}Annotation")}
    assert "Org.OData.Capabilities.V1.InsertRestrictions" in terms
    customers = container.find(f"{EDM}EntitySet[@Name='customers']")
    assert customers is not None and customers.findall(f"{EDM}Annotation") == []
    assert erp.post("salesShipments", {}).status_code == 405
