"""Mappings as documents: the default catalogue (TOML in `couplet/defaults/`), exports and
imports (TOML or JSON), and the stored form, all one shape.

A document may carry `requires = [...]` feature tags (on a mapping or a field); the
defaults are selected for a connection's features: `person` / `team` ownership,
`unit-groups` / `legacy-units`, `sales-orders`. Each default mapping declares its `role`
(see `roles.py`). Every document is checked against `schema.py` first, so a misspelt key
or a quoted boolean is refused instead of silently ignored or read as true.
"""

from __future__ import annotations

import copy
import functools
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from pydantic import ValidationError

from .connection import Features
from .errors import MappingError
from .mapping import validate_catalogue
from .model import Condition, FieldMapping, JobSettings, TableMapping, Transform
from .roles import FullSyncPolicy
from .schema import CatalogueFile, ConditionDoc, DocumentsDoc, FieldDoc, MappingDoc
from .schema_errors import mapping_error

Document = dict[str, Any]


def feature_tags(features: Features) -> set[str]:
    tags = {features.ownership, "unit-groups" if features.unit_group_mode else "legacy-units"}
    if features.sales_order_integration:
        tags.add("sales-orders")
    return tags


def _selected(doc: Mapping[str, Any], tags: set[str]) -> bool:
    return set(doc.get("requires", ())) <= tags


def _file_source(name: str) -> str:
    return f"couplet/defaults/{name}"


@functools.cache
def _defaults() -> tuple[tuple[str, list[Document], DocumentsDoc], ...]:
    """(source, mapping documents, document field maps) of each TOML file of the default
    catalogue, in catalogue order; read and checked once."""
    folder = resources.files("couplet.defaults")
    entries = sorted(folder.iterdir(), key=lambda e: e.name)
    return tuple(
        (_file_source(e.name), *parse_file(e.read_text("utf-8"), _file_source(e.name)))
        for e in entries
        if e.name.endswith(".toml")
    )


def parse_file(
    text: str, source: str, *, is_toml: bool = True
) -> tuple[list[Document], DocumentsDoc]:
    """The mapping documents and document field maps of one catalogue file (TOML or JSON),
    checked against the schema: MappingError names the file, the key's path and (TOML) the
    line."""
    try:
        data = tomllib.loads(text) if is_toml else json.loads(text)
    except ValueError as exc:
        raise MappingError(f"{source}: cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(f"{source}: expected a table with a list of 'mapping' documents")
    try:
        parsed = CatalogueFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]["loc"]
        doc = _at(data, first[:2]) if first[:1] == ("mapping",) else None
        raise mapping_error(exc, source, text=text if is_toml else None, document=doc) from None
    # The raw documents go on (they are what is stored and exported); the schema only vouched
    # for them.
    return list(data.get("mapping", [])), parsed.document


def _at(data: object, loc: Sequence[int | str]) -> Any:
    for part in loc:
        if isinstance(part, int) and isinstance(data, list) and part < len(data):
            data = data[part]
        elif isinstance(part, str) and isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def default_documents(features: Features) -> list[Document]:
    """The default mappings for these features, in catalogue order."""
    tags = feature_tags(features)
    docs: list[Document] = []
    for _, documents, _ in _defaults():
        for doc in documents:
            if _selected(doc, tags):
                doc = copy.deepcopy(doc)  # callers edit what they get
                doc["fields"] = [f for f in doc.get("fields", []) if _selected(f, tags)]
                doc["dependencies"] = [d for d in doc.get("dependencies", [])]
                docs.append(doc)
    names = {d["name"] for d in docs}
    # A dependency on a mapping these features leave out (SALESPEOPLE under team ownership)
    # is dropped rather than left dangling.
    for doc in docs:
        doc["dependencies"] = [d for d in doc["dependencies"] if d in names]
    return docs


@functools.cache
def default_document_maps() -> DocumentsDoc:
    """The `[document.<name>]` field maps of the default catalogue, from all its files."""
    found: dict[str, Any] = {}
    for source, _, sections in _defaults():
        for key in DocumentsDoc.model_fields:
            value = getattr(sections, key)
            if value is not None:
                if key in found:
                    raise MappingError(f"{source}: document {key} is defined twice")
                found[key] = value
    return DocumentsDoc().model_copy(update=found)


def _filter(raw: Sequence[ConditionDoc]) -> tuple[Condition, ...]:
    return tuple(
        Condition(c.field, c.op, tuple(c.value) if isinstance(c.value, list) else c.value)
        for c in raw
    )


def _field(raw: FieldDoc) -> FieldMapping:
    transform = None
    if raw.transform is not None:
        transform = Transform(raw.transform.kind, dict(raw.transform.model_extra or {}))
    return FieldMapping(
        erp_field=raw.erp,
        crm_field=raw.crm,
        direction=raw.direction,
        constant=raw.constant,
        validate=raw.validate_value,
        clear_on_failed_sync=raw.clear_on_failed_sync,
        not_null=raw.not_null,
        transform=transform,
        transform_direction=raw.transform_direction,
        lookup=raw.lookup,
        option=raw.option,
        use_for_matching=raw.match,
        case_sensitive_matching=raw.case_sensitive,
        match_priority=raw.match_priority,
        enabled=raw.enabled,
        sync_uncoupled=raw.sync_uncoupled,
        fixed=raw.fixed,
    )


def from_document(
    doc: Mapping[str, Any], *, source: str = "the mapping document", index: int | None = None
) -> TableMapping:
    """The mapping of one document; MappingError names the key (`mapping[<index>].<key>`)
    when the document does not fit the schema."""
    if not isinstance(doc, Mapping):
        raise MappingError(f"{source}: mapping[{index or 0}] must be a table of keys")
    try:
        d = MappingDoc.model_validate(doc)
    except ValidationError as exc:
        prefix: tuple[int | str, ...] = ("mapping", index) if index is not None else ("mapping",)
        raise mapping_error(exc, source, prefix=prefix, document=doc) from None
    return TableMapping(
        name=d.name,
        erp_table=d.erp_table,
        crm_table=d.crm_table,
        direction=d.direction,
        fields=tuple(_field(f) for f in d.fields),
        erp_filter=_filter(d.erp_filter),
        crm_filter=_filter(d.crm_filter),
        only_coupled=d.only_coupled,
        dependencies=tuple(d.dependencies),
        update_conflict=d.update_conflict,
        deletion_conflict=d.deletion_conflict,
        sync_after_coupling=d.sync_after_coupling,
        create_new_if_no_match=d.create_new_if_no_match,
        option_mapping=d.option_mapping,
        crm_uid_field=d.crm_uid_field,
        erp_template=dict(d.erp_template),
        crm_template=dict(d.crm_template),
        parent=d.parent,
        job=JobSettings(**d.job.model_dump()),
        description=d.description,
        match_before_insert=d.match_before_insert,
        child_mapping=d.child_mapping,
        child_field=d.child_field,
        crm_write_state=dict(d.crm_write_state),
        role=d.role,
        full_sync=d.full_sync,
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
    if m.role is not None:
        doc["role"] = m.role.value
    if m.full_sync is not FullSyncPolicy.BY_COUNTS:
        doc["full_sync"] = m.full_sync.value
    return doc


def load(
    documents: Iterable[Mapping[str, Any]], source: str = "the mapping documents"
) -> dict[str, TableMapping]:
    """Mappings from documents, validated as a whole (MappingError says what to fix)."""
    mappings: dict[str, TableMapping] = {}
    for index, doc in enumerate(documents):
        mapping = from_document(doc, source=source, index=index)
        if mapping.name in mappings:
            raise MappingError(f"Two mappings are named {mapping.name}.")
        mappings[mapping.name] = mapping
    validate_catalogue(mappings.values())
    return mappings


def read_documents(text: str, source: str, *, is_toml: bool) -> list[Document]:
    """The mapping documents of an import file, checked against the schema with the file's
    name and (TOML) line in every message; `load` then checks the rules between them."""
    documents = parse_file(text, source, is_toml=is_toml)[0]
    if not documents:
        raise MappingError(f"{source} has no list of 'mapping' documents")
    return documents
