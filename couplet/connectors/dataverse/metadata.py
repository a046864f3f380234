"""What the connector must know of Dataverse tables: entity sets, keys, columns and lookups
with the navigation properties that bind them.

Read once per table from the metadata API (`EntityDefinitions`, its `Attributes` and
`ManyToOneRelationships`, each with `$select`) and cached, so the connector works on any
Dataverse organization without a hard-coded schema or guessed binding names.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ...engine.errors import ConfigError, SyncError
from ..http import HttpSession, error_message


@dataclass(frozen=True)
class LookupInfo:
    name: str
    targets: tuple[str, ...]
    # Referenced table → the single-valued navigation property that binds to it, from the
    # relationship's `ReferencingEntityNavigationPropertyName` (`customerid_account`,
    # `objectid_salesorder`, `ownerid`, ...).
    navigations: Mapping[str, str] = field(default_factory=dict)

    def navigation(self, target: str) -> str:
        """The `<name>@odata.bind` that sets this lookup to a row of `target`."""
        if target in self.navigations:
            return self.navigations[target]
        names = set(self.navigations.values())
        if len(names) == 1:
            # One relationship for several tables: an Owner lookup (`ownerid` → owner).
            return names.pop()
        raise ConfigError(
            f"The CRM declares no relationship binding '{self.name}' to the table '{target}'."
        )


@dataclass(frozen=True)
class TableInfo:
    logical_name: str
    entity_set: str
    key: str
    lookups: dict[str, LookupInfo] = field(default_factory=dict)
    # The properties every read selects: the table's readable attributes, lookups as their
    # `_<name>_value` properties (Dataverse advises `$select` on every query).
    columns: tuple[str, ...] = ()


# Attribute types a read does not select: no property of the Web API's entity type, or
# binary content no mapping reads (images, files). And the tables an Owner relationship's
# `owner` stands for.
_NOT_PROPERTIES = {
    "Virtual",
    "EntityName",
    "ManagedProperty",
    "CalendarRules",
    "PartyList",
    "Image",
    "File",
}
_LOOKUP_TYPES = {"Lookup", "Customer", "Owner"}
_OWNERS = ("systemuser", "team")


class Metadata:
    def __init__(self, session: HttpSession, api: str) -> None:
        self.session = session
        self.api = api
        self._lock = threading.Lock()
        self._sets: dict[str, TableInfo] | None = None
        self._by_logical: dict[str, str] = {}

    def _load_sets(self) -> dict[str, TableInfo]:
        with self._lock:
            if self._sets is None:
                response = self.session.request(
                    "GET",
                    f"{self.api}EntityDefinitions",
                    params={"$select": "LogicalName,EntitySetName,PrimaryIdAttribute"},
                )
                if response.status_code != 200:
                    raise SyncError(
                        f"Reading the CRM's table definitions failed: {error_message(response)}"
                    )
                sets = {}
                for e in response.json()["value"]:
                    sets[e["EntitySetName"]] = TableInfo(
                        e["LogicalName"], e["EntitySetName"], e["PrimaryIdAttribute"]
                    )
                self._by_logical = {t.logical_name: s for s, t in sets.items()}
                self._sets = sets
            return self._sets

    def table(self, entity_set: str) -> TableInfo:
        sets = self._load_sets()
        if entity_set not in sets:
            raise ConfigError(f"The CRM has no table with the entity set '{entity_set}'.")
        info = sets[entity_set]
        if not info.columns:
            info = self._described(info)
        return info

    def entity_set(self, logical_name: str) -> str:
        self._load_sets()
        if logical_name not in self._by_logical:
            raise ConfigError(f"The CRM has no table named '{logical_name}'.")
        return self._by_logical[logical_name]

    def _described(self, info: TableInfo) -> TableInfo:
        """The table's readable columns and its lookups with their binding names, read from
        its attribute and many-to-one relationship definitions."""
        definition = f"{self.api}EntityDefinitions(LogicalName='{quote(info.logical_name)}')"
        attributes = self._values(
            f"{definition}/Attributes",
            {"$select": "LogicalName,AttributeType,AttributeOf,IsValidForRead"},
            f"the attributes of '{info.logical_name}'",
        )
        relationships = self._values(
            f"{definition}/ManyToOneRelationships",
            {
                "$select": "ReferencingAttribute,ReferencedEntity,"
                "ReferencingEntityNavigationPropertyName"
            },
            f"the relationships of '{info.logical_name}'",
        )
        navigations: dict[str, dict[str, str]] = {}
        for r in relationships:
            targets = _OWNERS if r["ReferencedEntity"] == "owner" else (r["ReferencedEntity"],)
            for target in targets:
                navigations.setdefault(r["ReferencingAttribute"], {})[target] = r[
                    "ReferencingEntityNavigationPropertyName"
                ]
        columns: list[str] = []
        lookups: dict[str, LookupInfo] = {}
        for a in attributes:
            name, kind = a["LogicalName"], a.get("AttributeType")
            if kind in _NOT_PROPERTIES or a.get("AttributeOf") or a.get("IsValidForRead") is False:
                continue
            if kind in _LOOKUP_TYPES and name in navigations:
                # A lookup is a relationship's referencing attribute; a plain id column
                # typed as a lookup by the metadata has none, and is read by its own name.
                navs = navigations[name]
                lookups[name] = LookupInfo(name, tuple(navs), navs)
                columns.append(f"_{name}_value")
            else:
                columns.append(name)
        full = TableInfo(info.logical_name, info.entity_set, info.key, lookups, tuple(columns))
        with self._lock:
            assert self._sets is not None
            self._sets[info.entity_set] = full
        return full

    def _values(self, url: str, params: dict[str, str], what: str) -> list[dict[str, Any]]:
        response = self.session.request("GET", url, params=params)
        if response.status_code != 200:
            raise SyncError(f"Reading {what} failed: {error_message(response)}")
        return list(response.json()["value"])
