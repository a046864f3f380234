"""The catalogue document's schema: unknown keys, strings for booleans and wrong types are
refused with a message naming the file, the key's path and (TOML) its line; roles and
full-sync policies round-trip; every default mapping has a role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from couplet.engine import catalogue, roles
from couplet.engine.connection import Features
from couplet.engine.errors import MappingError
from couplet.engine.roles import FullSyncPolicy, Role
from couplet.engine.schema_errors import toml_line

TOML = """\
[[mapping]]
name = "CURRENCY"
role = "currency"
erp_table = "currencies"
crm_table = "transactioncurrencies"
direction = "erp-to-crm"
fields = [{ erp = "code", crm = "isocurrencycode", direction = "erp-to-crm" }]

[[mapping]]
name = "KUNDEN"
role = "customer"
erp_table = "customers"
crm_table = "accounts"
direction = "bidirectional"
fields = [
  { erp = "displayName", crm = "name", direction = "bidirectional" },
  { erp = "city", crm = "address1_city", direction = "bidirectional" },
]
"""


def _mapping(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "CUSTOMER",
        "erp_table": "customers",
        "crm_table": "accounts",
        "direction": "bidirectional",
        "fields": [{"erp": "displayName", "crm": "name", "direction": "bidirectional"}],
    }
    doc.update(changes)
    return doc


def test_a_valid_toml_file_loads_with_its_roles() -> None:
    documents = catalogue.read_documents(TOML, "mine.toml", is_toml=True)
    loaded = catalogue.load(documents)
    assert roles.name_for(loaded, Role.CUSTOMER) == "KUNDEN"
    assert loaded["KUNDEN"].full_sync is FullSyncPolicy.BY_COUNTS


def test_an_unknown_key_is_refused_with_file_line_and_path() -> None:
    text = TOML.replace('{ erp = "city",', '{ erp = "city", lookups = "X",')
    with pytest.raises(MappingError) as caught:
        catalogue.read_documents(text, "mine.toml", is_toml=True)
    message = str(caught.value)
    assert message.startswith("mine.toml, line 17: mapping[1].fields[1].lookups")
    assert "(mapping KUNDEN)" in message and "unknown key" in message


def test_the_string_false_is_not_a_boolean() -> None:
    text = TOML.replace('role = "customer"\n', 'role = "customer"\nonly_coupled = "false"\n')
    with pytest.raises(MappingError, match=r"line 12: mapping\[1\]\.only_coupled") as caught:
        catalogue.read_documents(text, "mine.toml", is_toml=True)
    assert "must be true or false, not 'false'" in str(caught.value)


def test_a_wrong_type_in_json_names_the_path() -> None:
    documents = [_mapping(), _mapping(name="X", fields=[{"erp": "a", "crm": "b", "direction": 3}])]
    text = json.dumps({"mapping": documents})
    with pytest.raises(MappingError) as caught:
        catalogue.read_documents(text, "export.json", is_toml=False)
    message = str(caught.value)
    assert message.startswith("export.json: mapping[1].fields[0].direction (mapping X):")
    assert "line" not in message.split(":")[0]


def test_documents_handed_over_directly_are_checked_too() -> None:
    with pytest.raises(MappingError, match=r"mapping\[0\]\.job\.interval_seconds"):
        catalogue.load([_mapping(job={"interval_seconds": "1800"})])
    with pytest.raises(MappingError, match=r"mapping\[0\]\.fields\[0\]\.match .*: must be true"):
        catalogue.load([_mapping(fields=[{"erp": "a", "crm": "b", "match": "false"}])])
    missing = r"mapping\[0\]\.erp_table \(mapping X\): required key is missing"
    with pytest.raises(MappingError, match=missing):
        catalogue.load([{"name": "X", "crm_table": "accounts"}])
    with pytest.raises(MappingError, match=r"mapping\[0\]\.role"):
        catalogue.load([_mapping(role="kunde")])


def test_two_mappings_cannot_share_a_role() -> None:
    with pytest.raises(MappingError, match="both have the role customer"):
        catalogue.load([_mapping(role="customer"), _mapping(name="OTHER", role="customer")])


def test_a_missing_role_is_named_in_the_error() -> None:
    loaded = catalogue.load([_mapping()])
    expected = 'no mapping has the role customer; set role = "customer"'
    with pytest.raises(MappingError, match=expected):
        roles.mapping_for(loaded, Role.CUSTOMER)


def test_role_and_policy_round_trip_through_the_document() -> None:
    mapping = catalogue.from_document(_mapping(role="currency", full_sync="copy-all"))
    again = catalogue.from_document(catalogue.to_document(mapping))
    assert (again.role, again.full_sync) == (Role.CURRENCY, FullSyncPolicy.COPY_ALL)
    assert "full_sync" not in catalogue.to_document(catalogue.from_document(_mapping()))


@pytest.mark.parametrize(
    "features",
    [
        Features(),
        Features(sales_order_integration=True),
        Features(ownership="team", unit_group_mode=False),
    ],
)
def test_every_default_mapping_has_a_role_and_survives_an_export(features: Features) -> None:
    loaded = catalogue.load(catalogue.default_documents(features))
    assert all(m.role is not None for m in loaded.values())
    exported = json.dumps({"mapping": [catalogue.to_document(m) for m in loaded.values()]})
    again = catalogue.load(catalogue.read_documents(exported, "export.json", is_toml=False))
    assert again == loaded


def test_the_defaults_carry_the_document_field_maps() -> None:
    maps = catalogue.default_document_maps()
    assert [k.line_type for k in maps.product_kinds()] == ["Item", "Resource"]
    assert {o.role for o in maps.header().options} == {
        Role.PAYMENT_TERMS,
        Role.SHIPMENT_METHOD,
        Role.SHIPPING_AGENT,
    }
    assert ("balance", "nav_balancelcy") in [(f.erp, f.crm) for f in maps.statistics().figures]


def test_lines_are_found_for_paths_into_headers_and_arrays() -> None:
    assert toml_line(TOML, ["mapping", 0, "name"]) == 2
    assert toml_line(TOML, ["mapping", 1, "fields", 0]) == 16
    assert toml_line(TOML, ["mapping", 1, "fields", 1, "crm"]) == 17
    assert toml_line(TOML, ["mapping", 5, "name"]) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("interval_seconds", -5),
        ("interval_seconds", 0),
        ("max_attempts", 0),
        ("rerun_delay_seconds", -1),
    ],
)
def test_job_settings_out_of_range_are_refused(key: str, value: int) -> None:
    with pytest.raises(MappingError, match=rf"mapping\[0\]\.job\.{key} \(mapping CUSTOMER\)"):
        catalogue.load([_mapping(job={key: value})])
