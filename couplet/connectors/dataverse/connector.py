"""The record port over the Dataverse Web API.

Reads page by page with server paging (`odata.maxpagesize`), reads many rows by id with
OR'ed key filters, and writes new and changed rows through the bulk messages `CreateMultiple`
and `UpdateMultiple` where the table has them (`bulk.py`), otherwise - and for deletes -
through multipart `$batch` (up to 1000 operations a request; 100 by default), so a page of
records costs a handful of round trips. Lookups come back as
`Ref`s (their table from the `lookuplogicalname` annotation) and are written as
`<navigation>@odata.bind`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from ...engine.errors import RetryableError, SyncError, UnavailableError
from ...engine.model import Condition, Filter, Op, Ref, Row, Side
from ...engine.ports import WriteResult
from ..http import HttpSession, error_message
from ..odata import MAX_IDS_PER_QUERY, action_data, json_value, pages, parse_timestamp, render
from .batch import Operation, PartReply, decode, encode
from .bulk import BulkWriter
from .metadata import Metadata, TableInfo

API_PATH = "/api/data/v9.2/"
LOGICAL = "@Microsoft.Dynamics.CRM.lookuplogicalname"
# Written rows come back with the table of each lookup, so a polymorphic one reads right.
WRITE_PREFER = (
    'return=representation,odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"'
)
READ_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"',
}


class DataverseConnector:
    side = Side.CRM

    def __init__(self, session: HttpSession, base_url: str, *, batch_size: int = 100) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.api = self.base + API_PATH
        self.batch_size = min(batch_size, 1000)
        self.metadata = Metadata(session, self.api)
        self.bulk = BulkWriter(session, self.api, self.get_many, self.batch_size)

    # -- reading ----------------------------------------------------------------------

    def query(
        self,
        table: str,
        *,
        filters: Filter = (),
        modified_from: dt.datetime | None = None,
        modified_until: dt.datetime | None = None,
        page_size: int = 1000,
    ) -> Iterator[list[Row]]:
        info = self.metadata.table(table)
        clauses = list(filters)
        if modified_from is not None:
            clauses.append(Condition("modifiedon", Op.GE, modified_from))
        if modified_until is not None:
            clauses.append(Condition("modifiedon", Op.LE, modified_until))
        params = {"$orderby": f"modifiedon asc,{info.key} asc", "$select": _select(info)}
        if clauses:
            params["$filter"] = _filter(tuple(clauses), info)
        headers = {
            **READ_HEADERS,
            "Prefer": READ_HEADERS["Prefer"] + f",odata.maxpagesize={min(page_size, 5000)}",
        }
        for page in pages(self.session, self.api + table, params, headers):
            yield [self._row(info, raw) for raw in page]

    def get_many(self, table: str, ids: Sequence[str]) -> dict[str, Row]:
        info = self.metadata.table(table)
        found: dict[str, Row] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), MAX_IDS_PER_QUERY):
            chunk = unique[start : start + MAX_IDS_PER_QUERY]
            params = {
                "$filter": render((Condition(info.key, Op.IN, tuple(chunk)),)),
                "$select": _select(info),
            }
            for page in pages(self.session, self.api + table, params, READ_HEADERS):
                for raw in page:
                    row = self._row(info, raw)
                    found[row.id] = row
        return found

    def count(self, table: str, filters: Filter = ()) -> int:
        info = self.metadata.table(table)
        params = {"$count": "true", "$top": "1", "$select": info.key}
        if filters:
            params["$filter"] = _filter(filters, info)
        response = self.session.request(
            "GET", self.api + table, params=params, headers=READ_HEADERS
        )
        if response.status_code != 200:
            raise SyncError(f"Counting {table} failed: {error_message(response)}")
        return int(response.json().get("@odata.count", 0))

    def _row(self, info: TableInfo, raw: dict[str, Any]) -> Row:
        values: dict[str, object] = {}
        for key, value in raw.items():
            if "@" in key:
                continue
            if key.startswith("_") and key.endswith("_value"):
                name = key[1:-6]
                if name in ("createdby", "modifiedby") and name not in info.lookups:
                    continue
                values[name] = self._ref(info, name, value, raw.get(key + LOGICAL))
            else:
                values[key] = _decimal(value)
        modified = raw.get("modifiedon")
        return Row(
            id=str(raw[info.key]),
            modified_on=parse_timestamp(modified, "modifiedon"),
            values=values,
            modified_by=raw.get("_modifiedby_value"),
        )

    def _ref(self, info: TableInfo, name: str, value: object, logical: object) -> Ref | None:
        if value is None:
            return None
        lookup = info.lookups.get(name)
        target = (
            str(logical) if logical else (lookup.targets[0] if lookup and lookup.targets else None)
        )
        if target is None:
            return Ref("", str(value))
        return Ref(self.metadata.entity_set(target), str(value))

    # -- writing ----------------------------------------------------------------------

    def insert_many(self, table: str, rows: Sequence[Mapping[str, object]]) -> list[WriteResult]:
        info = self.metadata.table(table)
        bodies = [self._body(info, values) for values in rows]
        return self.bulk.write(
            "CreateMultiple", info, bodies, lambda chunk: self._post(info, chunk)
        )

    def _post(self, info: TableInfo, bodies: list[dict[str, Any]]) -> list[WriteResult]:
        ops = [
            Operation("POST", API_PATH + info.entity_set, body, {"Prefer": WRITE_PREFER})
            for body in bodies
        ]
        return [self._result(info, reply) for reply in self._send(ops)]

    def update_many(
        self, table: str, changes: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WriteResult]:
        info = self.metadata.table(table)
        bodies = [{**self._body(info, values), info.key: key} for key, values in changes]
        return self.bulk.write(
            "UpdateMultiple", info, bodies, lambda chunk: self._patch(info, chunk)
        )

    def _patch(self, info: TableInfo, bodies: list[dict[str, Any]]) -> list[WriteResult]:
        # If-Match: * turns PATCH into a pure update: a row deleted meanwhile is reported,
        # not silently re-created.
        ops = [
            Operation(
                "PATCH",
                f"{API_PATH}{info.entity_set}({body[info.key]})",
                {k: v for k, v in body.items() if k != info.key},
                {"Prefer": WRITE_PREFER, "If-Match": "*"},
            )
            for body in bodies
        ]
        return [self._result(info, reply) for reply in self._send(ops)]

    def delete_many(self, table: str, ids: Sequence[str]) -> list[WriteResult]:
        ops = [Operation("DELETE", f"{API_PATH}{table}({key})") for key in ids]
        return [WriteResult() if r.ok else WriteResult(error=r.error) for r in self._send(ops)]

    def act(
        self,
        action: str,
        *,
        table: str | None = None,
        row_id: str | None = None,
        body: Mapping[str, object] | None = None,
    ) -> WriteResult:
        if table is not None and row_id is not None:
            url = f"{self.api}{table}({row_id})/Microsoft.Dynamics.CRM.{action}"
        else:
            url = f"{self.api}{action}"
        response = self.session.request(
            "POST",
            url,
            json={k: json_value(v) for k, v in (body or {}).items()},
            headers={"Accept": "application/json", "OData-Version": "4.0"},
        )
        if response.status_code >= 400:
            return WriteResult(error=error_message(response))
        return WriteResult(data=action_data(response))

    def _body(self, info: TableInfo, values: Mapping[str, object]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, value in values.items():
            lookup = info.lookups.get(name)
            if isinstance(value, Ref) or (lookup is not None and value is None):
                if lookup is None:
                    raise SyncError(
                        f"'{name}' is not a lookup of the CRM table '{info.logical_name}'."
                    )
                if value is None or (isinstance(value, Ref) and value.id is None):
                    body[f"{lookup.navigation(lookup.targets[0])}@odata.bind"] = None
                    continue
                assert isinstance(value, Ref)
                target = self.metadata.table(value.table).logical_name
                body[f"{lookup.navigation(target)}@odata.bind"] = f"/{value.table}({value.id})"
            else:
                body[name] = json_value(value)
        return body

    def _send(self, ops: list[Operation]) -> list[PartReply]:
        replies: list[PartReply] = []
        for start in range(0, len(ops), self.batch_size):
            chunk = ops[start : start + self.batch_size]
            content, content_type = encode(chunk)
            try:
                response = self.session.request(
                    "POST",
                    self.api + "$batch",
                    # Updates and deletes may be sent again; creates may not (http.py).
                    repeatable=all(op.method != "POST" for op in chunk),
                    content=content,
                    headers={
                        "Content-Type": content_type,
                        "Accept": "application/json",
                        "OData-Version": "4.0",
                        "Prefer": "odata.continue-on-error",
                    },
                )
            except RetryableError as exc:
                if isinstance(exc, UnavailableError):
                    raise
                # This chunk's rows fail with the cause; the chunks before it are written.
                failed = {"error": {"message": str(exc)}}
                replies += [PartReply(503, {}, failed) for _ in chunk]
                continue
            if response.status_code != 200:
                raise SyncError(f"The CRM refused a $batch: {error_message(response)}")
            got = decode(response.content, response.headers.get("content-type", ""))
            if len(got) != len(chunk):
                raise SyncError(f"The CRM answered {len(got)} parts for {len(chunk)} requests.")
            replies += got
        return replies

    def _result(self, info: TableInfo, reply: PartReply) -> WriteResult:
        if not reply.ok:
            return WriteResult(error=reply.error)
        if isinstance(reply.body, dict):
            return WriteResult(row=self._row(info, reply.body))
        return WriteResult()

    # -- choices (OptionPort) -----------------------------------------------------------

    def options(self, table: str, attribute: str) -> dict[int, str]:
        logical = self.metadata.table(table).logical_name
        url = (
            f"{self.api}EntityDefinitions(LogicalName='{quote(logical)}')/Attributes("
            f"LogicalName='{quote(attribute)}')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
        )
        response = self.session.request(
            "GET", url, params={"$select": "LogicalName", "$expand": "OptionSet"}
        )
        if response.status_code != 200:
            raise SyncError(
                f"Reading the options of {logical}.{attribute} failed: {error_message(response)}"
            )
        options = response.json()["OptionSet"]["Options"]
        return {int(o["Value"]): str(o["Label"]["UserLocalizedLabel"]["Label"]) for o in options}

    def add_option(self, table: str, attribute: str, label: str) -> int:
        logical = self.metadata.table(table).logical_name
        body = {
            "EntityLogicalName": logical,
            "AttributeLogicalName": attribute,
            "Label": {"LocalizedLabels": [{"Label": label, "LanguageCode": 1033}]},
        }
        response = self.session.request("POST", self.api + "InsertOptionValue", json=body)
        if response.status_code != 200:
            raise SyncError(
                f"Adding the option '{label}' to {logical}.{attribute} failed: "
                f"{error_message(response)}"
            )
        return int(response.json()["NewOptionValue"])

    # -- identity -----------------------------------------------------------------------

    def who_am_i(self) -> str:
        response = self.session.request("GET", self.api + "WhoAmI", headers=READ_HEADERS)
        if response.status_code != 200:
            raise SyncError(f"The CRM did not answer WhoAmI: {error_message(response)}")
        return str(response.json()["UserId"])


def _select(info: TableInfo) -> str:
    return ",".join(info.columns)


def _filter(filters: Filter, info: TableInfo) -> str:
    """`$filter` as Dataverse takes it: lookups named `_x_value`, and case-insensitive text
    equality as plain `eq` — Dataverse compares text ignoring case and does not document
    `tolower` (docs/protocols.md §A4)."""
    plain = tuple(Condition(c.field, Op.EQ, c.value) if c.op is Op.IEQ else c for c in filters)
    return render(plain, {name: f"_{name}_value" for name in info.lookups})


def _decimal(value: object) -> object:
    # JSON numbers arrive as floats; money must compare exactly, so go through the text.
    if isinstance(value, float):
        return Decimal(repr(value))
    return value
