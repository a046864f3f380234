"""Transformation rules (docs/behaviour.md §11.1), mapping validation (§0.1/§0.2), and the
in-memory ports the engine tests stand on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from couplet.connectors.memory import MemoryRecordPort
from couplet.engine.errors import MappingError
from couplet.engine.mapping import dependency_order, validate_catalogue, validate_mapping
from couplet.engine.model import Condition, Direction, FieldMapping, Op, Ref, Side, Transform
from couplet.engine.transforms import apply, check

from .world import CURRENCY, CUSTOMER, PAYMENT_TERMS, TO

BI, FROM = Direction.BIDIRECTIONAL, Direction.CRM_TO_ERP


@pytest.mark.parametrize(
    ("kind", "params", "value", "expected"),
    [
        ("trim", {}, "  a b  ", "a b"),
        ("upper", {}, "U.s.", "U.S."),
        ("lower", {}, "ABC", "abc"),
        ("title", {}, "john smith", "John Smith"),
        ("replace", {"find": "U.S.", "replace_with": "US"}, "U.S.", "US"),
        ("regex-replace", {"pattern": r"\D", "replacement": ""}, "+1 (555) 01", "155501"),
        ("substring", {"start": 3, "length": 2}, "ABCDEF", "CD"),
        ("substring", {"start_text": "-", "end_text": "/"}, "CUST-0042/x", "0042"),
        ("substring", {"start": 2}, "ABC", "BC"),
        ("remove-non-alphanumeric", {}, "A-1 b!", "A1b"),
        ("round", {"precision": "0.05"}, Decimal("1.23"), Decimal("1.25")),
        ("round", {"precision": "1", "direction": "down"}, 7.9, 7.0),
        ("round", {"precision": "10", "direction": "up"}, 41, 50),
        ("field-lookup", {"table": {"U.S.": "US"}}, "U.S.", "US"),
        ("field-lookup", {"table": {"U.S.": "US"}}, "GB", None),
        (
            "field-lookup",
            {"table": {"U.S.": ""}, "rule": "original-if-target-blank"},
            "U.S.",
            "U.S.",
        ),
        ("upper", {}, None, None),
        ("trim", {}, 5, 5),
    ],
)
def test_transformation_rules(
    kind: str, params: dict[str, object], value: object, expected: object
) -> None:
    rule = Transform(kind, params)
    check(rule)
    assert apply(rule, value) == expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Transform("shout"), "unknown transformation rule"),
        (Transform("replace"), "needs find"),
        (Transform("regex-replace", {"pattern": "("}), "is invalid"),
        (Transform("substring", {"length": 2}), "start or start_text"),
        (Transform("round", {"direction": "sideways"}), "round direction"),
        (Transform("field-lookup", {"table": "x"}), "table of values"),
    ],
)
def test_bad_transformation_rules_are_refused(rule: Transform, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        check(rule)


def test_default_world_catalogue_is_valid_and_ordered() -> None:
    catalogue = validate_catalogue([CUSTOMER, PAYMENT_TERMS, CURRENCY])
    assert dependency_order(catalogue.values()) == [["CURRENCY", "PAYMENT TERMS"], ["CUSTOMER"]]


def test_option_mapping_cannot_be_bidirectional() -> None:
    with pytest.raises(MappingError, match="option mappings can only synchronize from or to"):
        validate_mapping(dataclasses.replace(PAYMENT_TERMS, direction=BI))


def test_direction_needs_a_field_with_that_exact_direction() -> None:
    with pytest.raises(MappingError, match="no enabled field mapping has direction crm-to-erp"):
        validate_mapping(dataclasses.replace(CUSTOMER, direction=FROM, fields=CUSTOMER.fields[:1]))
    disabled = tuple(dataclasses.replace(f, enabled=False) for f in CUSTOMER.fields)
    with pytest.raises(MappingError, match="cannot have direction bidirectional"):
        validate_mapping(dataclasses.replace(CUSTOMER, fields=disabled))


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            FieldMapping("a", "b", BI, lookup="CURRENCY", not_null=True, clear_on_failed_sync=True),
            "cannot both be set",
        ),
        (FieldMapping("a", "b", BI, not_null=True), "only allowed on reference"),
        (FieldMapping(None, None, TO), "name an ERP field"),
        (FieldMapping(None, "b", TO), "needs a constant"),
        (FieldMapping(None, "b", FROM, constant=1), "must have direction erp-to-crm"),
        (FieldMapping("a", "b", BI, lookup="CURRENCY", option="PAYMENT TERMS"), "not both"),
        (
            FieldMapping("a", "b", TO, transform=Transform("upper"), transform_direction=FROM),
            "transformation direction",
        ),
    ],
)
def test_field_mapping_rules(field: FieldMapping, message: str) -> None:
    mapping = dataclasses.replace(CUSTOMER, fields=(*CUSTOMER.fields, field))
    with pytest.raises(MappingError, match=message):
        validate_mapping(mapping)


def test_catalogue_rules() -> None:
    with pytest.raises(MappingError, match="no mapping CURRENCY exists"):
        validate_catalogue([CUSTOMER, PAYMENT_TERMS])
    wrong = dataclasses.replace(CUSTOMER, name="X", dependencies=("Y",))
    other = dataclasses.replace(CUSTOMER, name="Y", dependencies=("X",))
    with pytest.raises(MappingError, match="cycle"):
        dependency_order([wrong, other])


def test_memory_port_stamps_filters_pages_and_keeps_references() -> None:
    moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    clock_value = [moment]
    port = MemoryRecordPort(Side.CRM, lambda: clock_value[0])
    a = port.add("accounts", name="A", n=1, parent=Ref("accounts", "p1"))
    clock_value[0] = moment + dt.timedelta(seconds=1)
    b = port.add("accounts", name="b", n=2)
    assert a.modified_on == moment and b.modified_on > moment
    pages = list(port.query("accounts", page_size=1))
    assert [[r.id for r in p] for p in pages] == [[a.id], [b.id]]
    assert port.count("accounts", (Condition("n", Op.GE, 2),)) == 1
    assert port.count("accounts", (Condition("name", Op.IEQ, "B"),)) == 1
    assert port.count("accounts", (Condition("name", Op.EQ, "B"),)) == 0
    assert port.count("accounts", (Condition("parent", Op.EQ, "p1"),)) == 1
    assert port.count("accounts", (Condition("n", Op.IN, (1, 2)),)) == 2
    assert next(iter(port.query("accounts", modified_from=b.modified_on)))[0].id == b.id
    assert port.row("accounts", a.id).values["parent"] == Ref("accounts", "p1")

    port.fail_writes("accounts", "locked", row_id=a.id, times=1)
    first, second = port.update_many("accounts", [(a.id, {"n": 5}), (b.id, {"n": 6})])
    assert first.error == "locked" and second.ok and second.row is not None
    assert port.update_many("accounts", [(a.id, {"n": 5})])[0].ok
    assert port.update_many("accounts", [("nope", {})])[0].error == "accounts nope does not exist"
    assert port.writes[-1] == ("update", "accounts", a.id, {"n": 5})
    assert port.row("accounts", a.id).modified_by == "integration"
