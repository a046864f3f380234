"""The stored connection and mappings, and the synchronization context built from them."""

from __future__ import annotations

from ..engine import catalogue
from ..engine.connection import Connection
from ..engine.context import Context
from ..engine.errors import ConfigError, UnknownMappingError
from ..engine.model import TableMapping
from ..flows.page_steps import LINES_WITH_DOCUMENT, PAGE_STEPS
from .blanks import blanks
from .parts import Parts


def connection(parts: Parts) -> Connection:
    stored = parts.config.connection()
    if stored is None:
        raise ConfigError("The connection is not set up yet: run `couplet setup` first.")
    return stored


def mappings(parts: Parts) -> dict[str, TableMapping]:
    documents = parts.config.mapping_documents()
    if not documents:
        raise ConfigError(
            "There are no mappings yet: run `couplet setup --enable` or `couplet mappings reset`."
        )
    return catalogue.load(documents)


def mapping(parts: Parts, name: str) -> TableMapping:
    found = mappings(parts)
    if name not in found:
        raise UnknownMappingError(f"there is no mapping named {name}; there are {', '.join(found)}")
    return found[name]


def context(parts: Parts) -> Context:
    """Everything a synchronization needs, over the real systems and the SQL state."""
    stored = connection(parts)
    if not stored.enabled:
        raise ConfigError("Synchronization is not enabled: run `couplet setup --enable`.")
    loaded = mappings(parts)
    crm = parts.systems.crm(stored)
    return Context(
        erp=parts.systems.erp(stored),
        crm=crm,
        state=parts.state,
        clock=parts.clock,
        mappings=loaded,
        options=crm,
        blanks=blanks(parts.systems, stored, loaded),
        features=stored.features,
        page_steps=PAGE_STEPS,
        lines_with_document=LINES_WITH_DOCUMENT,
    )
