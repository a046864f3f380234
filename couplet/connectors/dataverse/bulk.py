"""Writing through Dataverse's bulk messages, its fastest write path: `CreateMultiple` and
`UpdateMultiple` bound to the table's entity set, one call per chunk of rows.

A bulk message is all-or-nothing: one bad row refuses the whole call. A refused chunk is then
written row by row (the connector's `$batch`), so the good rows land and each bad row gets its
own error. A table the message is not available for (the call is refused but every row then
writes fine, or the action is unknown there) is remembered and written by `$batch` from then
on (docs/protocols.md §A15).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...engine.errors import RetryableError, UnavailableError
from ...engine.model import Row
from ...engine.ports import WriteResult
from ..http import HttpSession
from .metadata import TableInfo

PerRow = Callable[[list[dict[str, Any]]], list[WriteResult]]
ReadBack = Callable[[str, Sequence[str]], Mapping[str, Row]]
_UNKNOWN_ACTION = (404, 405, 501)


class BulkWriter:
    def __init__(self, session: HttpSession, api: str, read_back: ReadBack, chunk: int) -> None:
        self.session = session
        self.api = api
        self.read_back = read_back
        self.chunk = chunk
        self._lock = threading.Lock()
        self._unavailable: set[tuple[str, str]] = set()

    def available(self, message: str, info: TableInfo) -> bool:
        with self._lock:
            return (message, info.entity_set) not in self._unavailable

    def write(
        self, message: str, info: TableInfo, bodies: list[dict[str, Any]], per_row: PerRow
    ) -> list[WriteResult]:
        """Writes `bodies` (for UpdateMultiple each carries the primary key) chunk by chunk;
        one result per body, in order."""
        results: list[WriteResult] = []
        for start in range(0, len(bodies), self.chunk):
            chunk = bodies[start : start + self.chunk]
            if not self.available(message, info) or _repeats_a_key(message, info, chunk):
                results += per_row(chunk)
                continue
            try:
                ids, status = self._call(message, info, chunk)
            except RetryableError as exc:
                if isinstance(exc, UnavailableError):
                    raise
                # This chunk's rows fail with the cause; the chunks before it are written.
                results += [WriteResult(error=str(exc)) for _ in chunk]
                continue
            if ids is not None:
                results += self._rows(info, ids)
                continue
            rows = per_row(chunk)
            if status in _UNKNOWN_ACTION or all(r.ok for r in rows):
                with self._lock:
                    self._unavailable.add((message, info.entity_set))
            results += rows
        return results

    def _call(
        self, message: str, info: TableInfo, chunk: list[dict[str, Any]]
    ) -> tuple[list[str] | None, int]:
        kind = f"Microsoft.Dynamics.CRM.{info.logical_name}"
        response = self.session.request(
            "POST",
            f"{self.api}{info.entity_set}/Microsoft.Dynamics.CRM.{message}",
            # UpdateMultiple names every row's key: sending it again writes nothing twice.
            repeatable=message == "UpdateMultiple",
            json={"Targets": [{"@odata.type": kind, **body} for body in chunk]},
            headers={"Accept": "application/json", "OData-Version": "4.0"},
        )
        if response.status_code >= 300:
            return None, response.status_code
        if message == "CreateMultiple":
            return [str(i) for i in response.json()["Ids"]], response.status_code
        return [str(body[info.key]) for body in chunk], response.status_code

    def _rows(self, info: TableInfo, ids: list[str]) -> list[WriteResult]:
        """The rows as stored (a bulk message answers ids only), read back in one query per
        hundred ids: the engine learns their versions and modification times from them."""
        found = self.read_back(info.entity_set, ids)
        return [
            WriteResult(row=found[i])
            if i in found
            else WriteResult(error=f"The row {i} was written but could not be read back.")
            for i in ids
        ]


def _repeats_a_key(message: str, info: TableInfo, chunk: list[dict[str, Any]]) -> bool:
    """UpdateMultiple applies only the first of several targets with one key; such a chunk
    is written row by row, so every change is applied in order."""
    if message != "UpdateMultiple":
        return False
    keys = [body[info.key] for body in chunk]
    return len(set(keys)) != len(keys)
