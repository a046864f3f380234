"""The service document at the root and the CSDL `$metadata`, checked against what GET serves."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.helpers import CrmClient

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
READ_ONLY = "Org.OData.Core.V1.Computed"


def _schema(crm: CrmClient) -> ET.Element:
    r = crm.get("$metadata")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    schema = root.find(f".//{EDM}Schema")
    assert schema is not None and schema.get("Namespace") == "Microsoft.Dynamics.CRM"
    return schema


def test_the_root_is_the_json_service_document(crm: CrmClient) -> None:
    r = crm.get("")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"].endswith("/api/data/v9.2/$metadata")
    sets = {s["name"]: s for s in body["value"]}
    assert sets["accounts"] == {"name": "accounts", "kind": "EntitySet", "url": "accounts"}
    assert {"salesorders", "nav_accountstatisticses", "systemusers"} <= set(sets)
    # Every entry of the document is served.
    for name in sets:
        assert crm.get(name, params={"$top": "1"}).status_code == 200, name


def test_metadata_declares_every_entity_set_with_the_properties_get_returns(
    crm: CrmClient,
) -> None:
    schema = _schema(crm)
    types = {t.get("Name"): t for t in schema.findall(f"{EDM}EntityType")}
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    sets = {s.get("Name"): s.get("EntityType") for s in container.findall(f"{EDM}EntitySet")}
    assert set(sets) == {s["name"] for s in crm.get("").json()["value"]}
    crm.create("accounts", {"name": "Typed"})
    for name, type_name in sets.items():
        assert type_name is not None
        entity = types[type_name.removeprefix("mscrm.")]
        declared = {p.get("Name") for p in entity.findall(f"{EDM}Property")}
        rows = crm.get(name, params={"$top": "1"}).json()["value"]
        for row in rows:
            assert {k for k in row if "@" not in k} == declared, name
        # Every declared property is one the server selects (tables without rows too).
        selected = crm.get(name, params={"$select": ",".join(sorted(declared)), "$top": "1"})
        assert selected.status_code == 200, (name, selected.text)
        key = entity.find(f"{EDM}Key/{EDM}PropertyRef")
        assert key is not None and key.get("Name") in declared


def test_read_only_properties_are_annotated_computed(crm: CrmClient) -> None:
    account = {t.get("Name"): t for t in _schema(crm).findall(f"{EDM}EntityType")}["account"]
    assert account.get("BaseType") == "mscrm.crmbaseentity"

    def annotated(name: str) -> bool:
        prop = account.find(f"{EDM}Property[@Name='{name}']")
        assert prop is not None, name
        terms = {a.get("Term") for a in prop.findall(f"{EDM}Annotation")}
        return READ_ONLY in terms and "Org.OData.Core.V1.Permissions" in terms

    for name in ("_createdby_value", "_modifiedby_value", "createdon", "versionnumber"):
        assert annotated(name), name
    # Lookup values are read-only too: they are written through `x@odata.bind`.
    assert annotated("_transactioncurrencyid_value")
    assert not annotated("name") and not annotated("accountnumber")
    # And the server refuses what the annotation says it would.
    r = crm.post(
        "accounts", {"name": "x", "_createdby_value": "00000000-0000-0000-0000-000000000001"}
    )
    assert r.status_code == 400


def test_navigation_properties_name_each_target_of_a_polymorphic_lookup(crm: CrmClient) -> None:
    schema = _schema(crm)
    post = schema.find(f"{EDM}EntityType[@Name='post']")
    assert post is not None
    navs = {n.get("Name"): n.get("Type") for n in post.findall(f"{EDM}NavigationProperty")}
    assert navs["regardingobjectid_salesorder"] == "mscrm.salesorder"
    assert navs["regardingobjectid_account"] == "mscrm.account"
    assert "regardingobjectid" not in navs
    account = schema.find(f"{EDM}EntityType[@Name='account']")
    assert account is not None
    nav = account.find(f"{EDM}NavigationProperty[@Name='transactioncurrencyid']")
    assert nav is not None and nav.get("Type") == "mscrm.transactioncurrency"
    constraint = nav.find(f"{EDM}ReferentialConstraint")
    assert constraint is not None and constraint.get("Property") == "_transactioncurrencyid_value"
    collections = [
        n
        for n in schema.iter(f"{EDM}NavigationProperty")
        if n.get("Type", "").startswith("Collection(")
    ]
    assert collections  # one-to-many navigation (order lines of an order, ...)
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    posts = container.find(f"{EDM}EntitySet[@Name='posts']")
    assert posts is not None
    binding = posts.find(f"{EDM}NavigationPropertyBinding[@Path='regardingobjectid_salesorder']")
    assert binding is not None and binding.get("Target") == "salesorders"


def test_metadata_declares_the_operations_served(crm: CrmClient) -> None:
    schema = _schema(crm)
    functions = {f.get("Name"): f for f in schema.findall(f"{EDM}Function")}
    actions = {a.get("Name"): a for a in schema.findall(f"{EDM}Action")}
    complex_types = {c.get("Name"): c for c in schema.findall(f"{EDM}ComplexType")}
    who = functions["WhoAmI"].find(f"{EDM}ReturnType")
    assert who is not None and who.get("Type") == "mscrm.WhoAmIResponse"
    assert {p.get("Name") for p in complex_types["WhoAmIResponse"]} == {
        "BusinessUnitId",
        "UserId",
        "OrganizationId",
    }
    for name in ("CreateMultiple", "UpdateMultiple", "UpsertMultiple"):
        assert actions[name].get("IsBound") == "true"
        params = [p.get("Name") for p in actions[name].findall(f"{EDM}Parameter")]
        assert params == ["entityset", "Targets"]
    created = actions["CreateMultiple"].find(f"{EDM}ReturnType")
    assert created is not None and created.get("Type") == "mscrm.CreateMultipleResponse"
    assert actions["UpdateMultiple"].find(f"{EDM}ReturnType") is None
    assert {"WinQuote", "ConvertQuoteToSalesOrder", "InsertOptionValue"} <= set(actions)
    # Every complex type an operation names is declared.
    for op in [*functions.values(), *actions.values()]:
        for typed in [*op.findall(f"{EDM}Parameter"), *op.findall(f"{EDM}ReturnType")]:
            name = (typed.get("Type") or "").removeprefix("Collection(").removesuffix(")")
            if name.startswith("mscrm.") and not name.removeprefix("mscrm.").islower():
                assert name.removeprefix("mscrm.") in complex_types, name
    container = schema.find(f"{EDM}EntityContainer")
    assert container is not None
    assert container.find(f"{EDM}FunctionImport[@Name='WhoAmI']") is not None


def test_who_am_i_with_and_without_parentheses(crm: CrmClient) -> None:
    plain, called = crm.get("WhoAmI"), crm.get("WhoAmI()")
    assert plain.status_code == called.status_code == 200, called.text
    assert plain.json()["UserId"] == called.json()["UserId"]
    assert called.json()["@odata.context"].endswith("#Microsoft.Dynamics.CRM.WhoAmIResponse")
