"""What the connector must know of Dataverse tables: entity sets, keys and lookups.

Read once from the metadata API (`EntityDefinitions`) and cached, so the connector works on
any Dataverse organization without a hard-coded schema.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import quote

from ...engine.errors import ConfigError, SyncError
from ..http import HttpSession, error_message


@dataclass(frozen=True)
class LookupInfo:
    name: str
    kind: str  # Lookup | Customer | Owner
    targets: tuple[str, ...]

    def navigation(self, target: str) -> str:
        """The navigation property that binds this lookup to a row of `target`: customer
        lookups name the table (`customerid_account`), the others do not."""
        return f"{self.name}_{target}" if self.kind == "Customer" else self.name


@dataclass(frozen=True)
class TableInfo:
    logical_name: str
    entity_set: str
    key: str
    lookups: dict[str, LookupInfo] = field(default_factory=dict)


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
        if not info.lookups:
            info = self._with_lookups(info)
        return info

    def entity_set(self, logical_name: str) -> str:
        self._load_sets()
        if logical_name not in self._by_logical:
            raise ConfigError(f"The CRM has no table named '{logical_name}'.")
        return self._by_logical[logical_name]

    def _with_lookups(self, info: TableInfo) -> TableInfo:
        url = f"{self.api}EntityDefinitions(LogicalName='{quote(info.logical_name)}')/Attributes"
        response = self.session.request("GET", url)
        if response.status_code != 200:
            raise SyncError(
                f"Reading the attributes of '{info.logical_name}' failed: {error_message(response)}"
            )
        lookups = {
            a["LogicalName"]: LookupInfo(
                a["LogicalName"], a["AttributeType"], tuple(a.get("Targets") or ())
            )
            for a in response.json()["value"]
            if a.get("AttributeType") in ("Lookup", "Customer", "Owner")
        }
        full = TableInfo(info.logical_name, info.entity_set, info.key, lookups)
        with self._lock:
            assert self._sets is not None
            self._sets[info.entity_set] = full
        return full
