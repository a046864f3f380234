"""The record port over the Business Central API.

Standard entity sets live under `/api/v2.0/companies({id})/`, what v2.0 lacks under the
custom group `/api/couplet/integration/v1.0/companies({id})/`. Reads page with
`odata.maxpagesize` (up to 20,000), reads by id use `id eq … or id eq …` (an OR on one
field, which Business Central allows), and writes go through JSON `$batch` (100 operations
a request; each operation answered on its own). The base URL is the service root, on
premises `https://host:port/<instance>` or online
`https://api.businesscentral.dynamics.com/v2.0/<tenant>/<environment>`; a `$batch` is posted
to its group's endpoint and names each request relative to it (`companies(…)/customers`), so
the tenant and environment stay in every URL (docs/protocols.md §B13). References held as
codes (a customer's `salespersonCode`) are turned into `Ref`s on read and back into codes on
write, so the engine always deals in ids.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ...engine.errors import ConfigError, RetryableError, SyncError, UnavailableError
from ...engine.model import Condition, Filter, Op, Ref, Row, Side
from ...engine.ports import WriteResult
from ..http import HttpSession, error_message
from ..odata import MAX_IDS_PER_QUERY, action_data, json_value, pages, parse_timestamp, render

STANDARD = "/api/v2.0/"
CUSTOM = "/api/couplet/integration/v1.0/"
MAX_BATCH = 100
STANDARD_SETS = frozenset(
    {
        "companies",
        "companyInformation",
        "customers",
        "contacts",
        "salespeoplePurchasers",
        "currencies",
        "unitsOfMeasure",
        "items",
        "paymentTerms",
        "shipmentMethods",
        "accounts",
        "salesQuotes",
        "salesQuoteLines",
        "salesOrders",
        "salesOrderLines",
        "salesInvoices",
        "salesInvoiceLines",
        "salesShipments",
        "salesShipmentLines",
        "customerPaymentJournals",
        "customerPayments",
        "itemLedgerEntries",
        "opportunities",
        "journals",
    }
)
# Bound actions of API v2.0; every other action lives in the custom group only.
STANDARD_ACTIONS = frozenset(
    {
        ("salesQuotes", "makeOrder"),
        ("salesOrders", "shipAndInvoice"),
        ("salesInvoices", "post"),
        ("salesInvoices", "cancel"),
        ("customerPaymentJournals", "post"),
    }
)
# (table, field) -> (referenced table, its key field): references Business Central keeps as
# codes rather than ids.
CODE_REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("customers", "salespersonCode"): ("salespeoplePurchasers", "code"),
    ("contacts", "salespersonCode"): ("salespeoplePurchasers", "code"),
    ("opportunities", "salespersonCode"): ("salespeoplePurchasers", "code"),
    ("salesOrders", "salesperson"): ("salespeoplePurchasers", "code"),
    ("salesInvoices", "salesperson"): ("salespeoplePurchasers", "code"),
}
READ_HEADERS = {"Accept": "application/json"}
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


class BusinessCentralConnector:
    side = Side.ERP

    def __init__(
        self, session: HttpSession, base_url: str, company: str, *, batch_size: int = MAX_BATCH
    ) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.company_name = company
        self.batch_size = min(batch_size, MAX_BATCH)
        self._company_id: str | None = None
        self._lock = threading.Lock()

    # -- addressing ---------------------------------------------------------------------

    @property
    def company_id(self) -> str:
        with self._lock:
            if self._company_id is None:
                response = self.session.request(
                    "GET", f"{self.base}{STANDARD}companies", headers=READ_HEADERS
                )
                if response.status_code != 200:
                    raise SyncError(
                        f"Listing the ERP's companies failed: {error_message(response)}"
                    )
                for company in response.json().get("value", []):
                    if company.get("name") == self.company_name:
                        self._company_id = str(company["id"])
                if self._company_id is None:
                    raise ConfigError(f"The ERP has no company named '{self.company_name}'.")
            return self._company_id

    @staticmethod
    def group(table: str) -> str:
        return STANDARD if table in STANDARD_SETS else CUSTOM

    def path(self, table: str) -> str:
        """The table's entity set relative to its API group's root (and its `$batch`)."""
        return f"companies({self.company_id})/{table}"

    def url(self, table: str) -> str:
        return self.base + self.group(table) + self.path(table)

    def local_currency_code(self) -> str:
        """The company's local currency (LCY) ISO code from its company information, "" when
        the ERP does not say; Business Central leaves LCY amounts' currency code blank."""
        response = self.session.request("GET", self.url("companyInformation"))
        rows = response.json().get("value", []) if response.status_code == 200 else []
        return str(rows[0].get("currencyCode") or "") if rows else ""

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
        clauses = [self._to_api(table, c) for c in filters]
        if modified_from is not None:
            clauses.append(Condition("lastModifiedDateTime", Op.GE, modified_from))
        if modified_until is not None:
            clauses.append(Condition("lastModifiedDateTime", Op.LE, modified_until))
        params = {"$orderby": "lastModifiedDateTime asc,id asc"}
        if clauses:
            params["$filter"] = render(tuple(clauses))
        headers = {**READ_HEADERS, "Prefer": f"odata.maxpagesize={min(page_size, 20000)}"}
        for page in pages(self.session, self.url(table), params, headers):
            yield self._rows(table, page)

    def get_many(self, table: str, ids: Sequence[str]) -> dict[str, Row]:
        found: dict[str, Row] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), MAX_IDS_PER_QUERY):
            chunk = tuple(unique[start : start + MAX_IDS_PER_QUERY])
            params = {"$filter": render((Condition("id", Op.IN, chunk),))}
            for page in pages(self.session, self.url(table), params, READ_HEADERS):
                found.update({row.id: row for row in self._rows(table, page)})
        return found

    def count(self, table: str, filters: Filter = ()) -> int:
        params = (
            {"$filter": render(tuple(self._to_api(table, c) for c in filters))} if filters else {}
        )
        response = self.session.request(
            "GET", self.url(table) + "/$count", params=params, headers=READ_HEADERS
        )
        if response.status_code != 200:
            raise SyncError(f"Counting {table} failed: {error_message(response)}")
        return int(response.text.strip() or 0)

    def _rows(self, table: str, raws: list[dict[str, Any]]) -> list[Row]:
        codes = self._code_maps(table, by_code=True)
        rows = []
        for raw in raws:
            values: dict[str, object] = {}
            for key, value in raw.items():
                if key.startswith("@"):
                    continue
                target = CODE_REFERENCES.get((table, key))
                if target is not None:
                    found = codes[key].get(str(value)) if value else None
                    # The code is what a person knows the salesperson by: messages name it.
                    values[key] = Ref(target[0], found, label=str(value)) if found else None
                elif value == "" or value == EMPTY_GUID:
                    # Business Central has no nulls: blank text and the empty GUID mean "no
                    # value", which the engine (and Dataverse) call None.
                    values[key] = None
                else:
                    values[key] = Decimal(repr(value)) if isinstance(value, float) else value
            rows.append(
                Row(
                    id=str(raw["id"]),
                    modified_on=parse_timestamp(
                        raw.get("lastModifiedDateTime"), "lastModifiedDateTime"
                    ),
                    values=values,
                    modified_by=raw.get("systemModifiedBy") or None,
                )
            )
        return rows

    def _code_maps(self, table: str, *, by_code: bool) -> dict[str, dict[str, str]]:
        """For each code reference of the table: code -> id (or id -> code)."""
        maps: dict[str, dict[str, str]] = {}
        for (owner, field), (target, key) in CODE_REFERENCES.items():
            if owner != table:
                continue
            pairs: dict[str, str] = {}
            params = {"$select": f"id,{key}"}
            for page in pages(self.session, self.url(target), params, READ_HEADERS):
                for r in page:
                    code, ident = str(r.get(key) or ""), str(r["id"])
                    if code:
                        pairs[code if by_code else ident] = ident if by_code else code
            maps[field] = pairs
        return maps

    def _to_api(self, table: str, c: Condition) -> Condition:
        """Filters on a code reference name the code (a filter on ids is translated)."""
        if (table, c.field) not in CODE_REFERENCES or c.value is None:
            return c
        codes = self._code_maps(table, by_code=False)[c.field]
        if isinstance(c.value, tuple):
            return Condition(c.field, c.op, tuple(codes.get(str(v), str(v)) for v in c.value))
        return Condition(c.field, c.op, codes.get(str(c.value), str(c.value)))

    # -- writing ----------------------------------------------------------------------

    def insert_many(self, table: str, rows: Sequence[Mapping[str, object]]) -> list[WriteResult]:
        codes = (
            self._code_maps(table, by_code=False)
            if any(owner == table for owner, _ in CODE_REFERENCES)
            else {}
        )
        ops = [
            {"method": "POST", "url": self.path(table), "body": self._body(table, r, codes)}
            for r in rows
        ]
        return self._send(table, ops)

    def update_many(
        self, table: str, changes: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WriteResult]:
        codes = (
            self._code_maps(table, by_code=False)
            if any(owner == table for owner, _ in CODE_REFERENCES)
            else {}
        )
        # If-Match is required by Business Central; `*` because the engine decides conflicts
        # itself from the coupling's timestamps.
        ops = [
            {
                "method": "PATCH",
                "url": f"{self.path(table)}({key})",
                "headers": {"If-Match": "*"},
                "body": self._body(table, values, codes),
            }
            for key, values in changes
        ]
        return self._send(table, ops)

    def delete_many(self, table: str, ids: Sequence[str]) -> list[WriteResult]:
        ops = [
            {"method": "DELETE", "url": f"{self.path(table)}({key})", "headers": {"If-Match": "*"}}
            for key in ids
        ]
        return self._send(table, ops)

    def act(
        self,
        action: str,
        *,
        table: str | None = None,
        row_id: str | None = None,
        body: Mapping[str, object] | None = None,
    ) -> WriteResult:
        if table is None or row_id is None:
            raise SyncError(f"Business Central actions are bound to a row; {action} names none.")
        group = STANDARD if (table, action) in STANDARD_ACTIONS else CUSTOM
        url = f"{self.base}{group}{self.path(table)}({row_id})/Microsoft.NAV.{action}"
        response = self.session.request(
            "POST",
            url,
            content=json.dumps(dict(body or {}), default=_json_default),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if response.status_code >= 400:
            return WriteResult(error=error_message(response))
        return WriteResult(data=action_data(response))

    def _body(
        self, table: str, values: Mapping[str, object], codes: dict[str, dict[str, str]]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, value in values.items():
            if (table, name) in CODE_REFERENCES:
                ident = value.id if isinstance(value, Ref) else value
                body[name] = codes.get(name, {}).get(str(ident), "") if ident else ""
            elif isinstance(value, Ref):
                body[name] = value.id
            else:
                body[name] = json_value(value)
        return body

    def _send(self, table: str, ops: list[dict[str, Any]]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for start in range(0, len(ops), self.batch_size):
            chunk = ops[start : start + self.batch_size]
            requests = [{"id": str(i), **op} for i, op in enumerate(chunk)]
            body = json.dumps({"requests": requests}, default=_json_default)
            try:
                response = self.session.request(
                    "POST",
                    f"{self.base}{self.group(table)}$batch",
                    # Updates and deletes may be sent again; creates may not (http.py).
                    repeatable=all(op["method"] != "POST" for op in chunk),
                    content=body,
                    headers={"Content-Type": "application/json", "Accept": "application/json"},
                )
            except RetryableError as exc:
                if isinstance(exc, UnavailableError):
                    raise
                # This chunk's rows fail with the cause; the chunks before it are written.
                results += [WriteResult(error=str(exc)) for _ in chunk]
                continue
            if response.status_code != 200:
                raise SyncError(f"The ERP refused a $batch: {error_message(response)}")
            answers = {str(a["id"]): a for a in response.json().get("responses", [])}
            for i in range(len(chunk)):
                answer = answers.get(str(i))
                if answer is None:
                    results.append(WriteResult(error="the ERP did not answer this request"))
                    continue
                status, payload = int(answer.get("status", 500)), answer.get("body")
                if status >= 400:
                    message = (
                        payload.get("error", {}).get("message")
                        if isinstance(payload, dict)
                        else None
                    )
                    results.append(WriteResult(error=str(message or f"HTTP {status}")))
                elif isinstance(payload, dict) and "id" in payload:
                    results.append(WriteResult(row=self._rows(table, [payload])[0]))
                else:
                    results.append(WriteResult())
        return results


def _json_default(value: object) -> object:
    # Values nested in a deep insert (document lines) are converted while dumping.
    converted = json_value(value)
    if converted is value:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return converted
