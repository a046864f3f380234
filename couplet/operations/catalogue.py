"""Editing the mapping catalogue: reset to the defaults, import, replace one, export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..engine import catalogue
from ..engine.connection import Features
from ..engine.errors import MappingError, UnknownMappingError
from ..engine.model import TableMapping
from .context import mapping, mappings
from .parts import Parts
from .scheduling import schedule_mappings


def default_names(features: Features) -> set[str]:
    return {d["name"] for d in catalogue.default_documents(features)}


def reset(parts: Parts, names: Sequence[str] | None = None) -> list[str]:
    """Restores default mappings (all, or the named ones) and their job queue entries;
    returns the names of every mapping there is afterwards."""
    connection = parts.config.connection()
    features = connection.features if connection else Features()
    defaults = {d["name"]: d for d in catalogue.default_documents(features)}
    unknown = [n for n in names or () if n not in defaults]
    if unknown:
        raise UnknownMappingError(
            f"No default mapping named {', '.join(unknown)}; the defaults "
            f"are {', '.join(defaults)}."
        )
    if names:
        current = {d["name"]: d for d in parts.config.mapping_documents()}
        current.update({n: defaults[n] for n in names})
        documents = list(current.values())
    else:
        documents = list(defaults.values())
    catalogue.load(documents)
    parts.config.save_mapping_documents(documents, parts.clock())
    restored = [n for n in (d["name"] for d in documents) if n in defaults]
    schedule_mappings(parts, [n for n in restored if not names or n in names])
    return [d["name"] for d in documents]


def replace_all(parts: Parts, documents: Sequence[Mapping[str, Any]]) -> dict[str, TableMapping]:
    """Replaces every mapping with the documents (`mappings import`), after checking every
    rule across the whole catalogue (MappingError names what to fix); refreshes their jobs."""
    try:
        loaded = catalogue.load(documents)
    except (TypeError, ValueError, AttributeError) as exc:
        # Wrong shapes inside a document (e.g. an unknown job setting) are input errors.
        raise MappingError(f"The mapping document is not valid: {exc}") from None
    stored = parts.config.mapping_documents()
    before = catalogue.load(stored) if stored else {}
    parts.config.save_mapping_documents(
        [catalogue.to_document(m) for m in loaded.values()], parts.clock()
    )
    for old, new in renamed(before, loaded).items():
        parts.state.rename_mapping(old, new)
    for gone in before.keys() - loaded.keys():
        parts.queue.delete(gone)
    schedule_mappings(parts, list(loaded))
    return loaded


def renamed(
    before: Mapping[str, TableMapping], after: Mapping[str, TableMapping]
) -> dict[str, str]:
    """Old name -> new name of the mappings an import renamed: a mapping that is gone and a
    new one that plays its role (and pairs the same tables). Their couplings and watermarks
    follow the new name; without that, a rename would forget every coupled record and the
    next full synchronization would create them all again."""
    new_by_role = {
        (m.role, m.erp_table, m.crm_table): m.name
        for name, m in after.items()
        if name not in before and m.role is not None
    }
    return {
        name: new_by_role[key]
        for name, m in before.items()
        if name not in after and (key := (m.role, m.erp_table, m.crm_table)) in new_by_role
    }


def replace_one(parts: Parts, name: str, document: Mapping[str, Any]) -> TableMapping:
    """Replaces one mapping's document (same name) and checks the catalogue with it."""
    mapping(parts, name)
    if document.get("name", name) != name:
        raise MappingError(f"The document is named {document.get('name')}, not {name}.")
    documents = [
        {**document, "name": name} if n == name else catalogue.to_document(m)
        for n, m in mappings(parts).items()
    ]
    return replace_all(parts, documents)[name]


def export(parts: Parts) -> list[dict[str, Any]]:
    """Every mapping as a document, in catalogue order (`mappings export`)."""
    return [catalogue.to_document(m) for m in mappings(parts).values()]


def remove(parts: Parts, names: Sequence[str]) -> None:
    """Drops mappings and their job queue entries."""
    kept = [d for d in parts.config.mapping_documents() if d["name"] not in names]
    catalogue.load(kept)
    parts.config.save_mapping_documents(kept, parts.clock())
    for name in names:
        parts.queue.delete(name)
