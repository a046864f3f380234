"""Mappings as documents: the default catalogue (TOML in `couplet/defaults/`), exports and
imports (TOML or JSON), and the stored form, all one shape.

A document may carry `requires = [...]` feature tags (on a mapping or a field); the
defaults are selected for a connection's features: `person` / `team` ownership,
`unit-groups` / `legacy-units`, `sales-orders`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from .connection import Features
from .errors import MappingError
from .mapping import validate_catalogue
from .model import (
    Condition,
    DeletionConflict,
    Direction,
    FieldMapping,
    JobSettings,
    Op,
    TableMapping,
    Transform,
    UpdateConflict,
)

Document = dict[str, Any]


def feature_tags(features: Features) -> set[str]:
    tags = {features.ownership, "unit-groups" if features.unit_group_mode else "legacy-units"}
    if features.sales_order_integration:
        tags.add("sales-orders")
    return tags


def _selected(doc: Mapping[str, Any], tags: set[str]) -> bool:
    return set(doc.get("requires", ())) <= tags


def default_documents(features: Features) -> list[Document]:
    """The default mappings for these features, in catalogue order."""
    tags = feature_tags(features)
    docs: list[Document] = []
    folder = resources.files("couplet.defaults")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for doc in tomllib.loads(entry.read_text("utf-8")).get("mapping", []):
            if _selected(doc, tags):
                doc = dict(doc)
                doc["fields"] = [f for f in doc.get("fields", []) if _selected(f, tags)]
                doc["dependencies"] = [d for d in doc.get("dependencies", [])]
                docs.append(doc)
    names = {d["name"] for d in docs}
    # A dependency on a mapping these features leave out (SALESPEOPLE under team ownership)
    # is dropped rather than left dangling.
    for doc in docs:
        doc["dependencies"] = [d for d in doc["dependencies"] if d in names]
    return docs


def _enum(kind: type[Any], raw: object, what: str, name: str) -> Any:
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(str(v.value) for v in kind)
        raise MappingError(f"Mapping {name}: {what} '{raw}' is not one of {allowed}") from None


def _filter(raw: Sequence[Mapping[str, Any]], name: str) -> tuple[Condition, ...]:
    out = []
    for c in raw:
        value = c.get("value")
        op = _enum(Op, c.get("op", "eq"), "filter operator", name)
        out.append(
            Condition(str(c["field"]), op, tuple(value) if isinstance(value, list) else value)
        )
    return tuple(out)


def _field(raw: Mapping[str, Any], name: str) -> FieldMapping:
    transform = None
    if raw.get("transform"):
        t = dict(raw["transform"])
        transform = Transform(str(t.pop("kind")), t)
    td = raw.get("transform_direction")
    return FieldMapping(
        erp_field=raw.get("erp"),
        crm_field=raw.get("crm"),
        direction=_enum(Direction, raw.get("direction", "bidirectional"), "direction", name),
        constant=raw.get("constant"),
        validate=bool(raw.get("validate", True)),
        clear_on_failed_sync=bool(raw.get("clear_on_failed_sync", False)),
        not_null=bool(raw.get("not_null", False)),
        transform=transform,
        transform_direction=_enum(Direction, td, "transform direction", name) if td else None,
        lookup=raw.get("lookup"),
        option=raw.get("option"),
        use_for_matching=bool(raw.get("match", False)),
        case_sensitive_matching=bool(raw.get("case_sensitive", False)),
        match_priority=int(raw.get("match_priority", 0)),
        enabled=bool(raw.get("enabled", True)),
        sync_uncoupled=bool(raw.get("sync_uncoupled", False)),
        fixed=bool(raw.get("fixed", False)),
    )


def from_document(doc: Mapping[str, Any]) -> TableMapping:
    name = str(doc.get("name") or "")
    if not name:
        raise MappingError("A mapping needs a name.")
    for key in ("erp_table", "crm_table"):
        if not doc.get(key):
            raise MappingError(f"Mapping {name}: '{key}' is missing.")
    job = dict(doc.get("job", {}))
    return TableMapping(
        name=name,
        erp_table=str(doc["erp_table"]),
        crm_table=str(doc["crm_table"]),
        direction=_enum(Direction, doc.get("direction", "bidirectional"), "direction", name),
        fields=tuple(_field(f, name) for f in doc.get("fields", [])),
        erp_filter=_filter(doc.get("erp_filter", []), name),
        crm_filter=_filter(doc.get("crm_filter", []), name),
        only_coupled=bool(doc.get("only_coupled", True)),
        dependencies=tuple(doc.get("dependencies", [])),
        update_conflict=_enum(
            UpdateConflict, doc.get("update_conflict", "none"), "update conflict resolution", name
        ),
        deletion_conflict=_enum(
            DeletionConflict,
            doc.get("deletion_conflict", "none"),
            "deletion conflict resolution",
            name,
        ),
        sync_after_coupling=bool(doc.get("sync_after_coupling", False)),
        create_new_if_no_match=bool(doc.get("create_new_if_no_match", False)),
        option_mapping=bool(doc.get("option_mapping", False)),
        crm_uid_field=doc.get("crm_uid_field"),
        erp_template=dict(doc.get("erp_template", {})),
        crm_template=dict(doc.get("crm_template", {})),
        parent=doc.get("parent"),
        job=JobSettings(**job),
        description=str(doc.get("description", "")),
        match_before_insert=bool(doc.get("match_before_insert", False)),
        child_mapping=doc.get("child_mapping"),
        child_field=doc.get("child_field"),
        crm_write_state=dict(doc.get("crm_write_state", {})),
    )


def _condition_doc(c: Condition) -> dict[str, Any]:
    value = list(c.value) if isinstance(c.value, tuple) else c.value
    return {"field": c.field, "op": c.op.value, "value": value}


def _field_doc(f: FieldMapping) -> dict[str, Any]:
    doc: dict[str, Any] = {"erp": f.erp_field, "crm": f.crm_field, "direction": f.direction.value}
    optional = {
        "constant": f.constant,
        "validate": f.validate if not f.validate else None,
        "clear_on_failed_sync": f.clear_on_failed_sync or None,
        "not_null": f.not_null or None,
        "transform": (
            {"kind": f.transform.kind, **dict(f.transform.params)} if f.transform else None
        ),
        "transform_direction": f.transform_direction.value if f.transform_direction else None,
        "lookup": f.lookup,
        "option": f.option,
        "match": f.use_for_matching or None,
        "case_sensitive": f.case_sensitive_matching or None,
        "match_priority": f.match_priority or None,
        "enabled": f.enabled if not f.enabled else None,
        "sync_uncoupled": f.sync_uncoupled or None,
        "fixed": f.fixed or None,
    }
    doc.update({k: v for k, v in optional.items() if v is not None})
    return {k: v for k, v in doc.items() if v is not None}


def to_document(m: TableMapping) -> Document:
    doc: Document = {
        "name": m.name,
        "erp_table": m.erp_table,
        "crm_table": m.crm_table,
        "direction": m.direction.value,
        "only_coupled": m.only_coupled,
        "dependencies": list(m.dependencies),
        "update_conflict": m.update_conflict.value,
        "deletion_conflict": m.deletion_conflict.value,
        "sync_after_coupling": m.sync_after_coupling,
        "create_new_if_no_match": m.create_new_if_no_match,
        "erp_filter": [_condition_doc(c) for c in m.erp_filter],
        "crm_filter": [_condition_doc(c) for c in m.crm_filter],
        "job": dict(m.job.__dict__),
        "fields": [_field_doc(f) for f in m.fields],
    }
    if m.option_mapping:
        doc["option_mapping"] = True
        doc["crm_uid_field"] = m.crm_uid_field
    for key, value in (
        ("erp_template", m.erp_template),
        ("crm_template", m.crm_template),
        ("crm_write_state", m.crm_write_state),
    ):
        if value:
            doc[key] = dict(value)
    if m.parent:
        doc["parent"] = m.parent
    if m.match_before_insert:
        doc["match_before_insert"] = True
    if m.child_mapping:
        doc["child_mapping"] = m.child_mapping
        doc["child_field"] = m.child_field
    if m.description:
        doc["description"] = m.description
    return doc


def load(documents: Iterable[Mapping[str, Any]]) -> dict[str, TableMapping]:
    """Mappings from documents, validated as a whole (MappingError says what to fix)."""
    mappings: dict[str, TableMapping] = {}
    for doc in documents:
        mapping = from_document(doc)
        if mapping.name in mappings:
            raise MappingError(f"Two mappings are named {mapping.name}.")
        mappings[mapping.name] = mapping
    validate_catalogue(mappings.values())
    return mappings
