"""Maps Business Central API paths to operations.

`/api/v2.0/companies({id})/<set>[({id})[/<lines>[({id})] | /Microsoft.NAV.<action>]]`, the
same under the custom group `/api/couplet/integration/v1.0/`, plus each group's unscoped
`$batch` and `$metadata`, and `/api/v2.0/subscriptions`. Every company-scoped read and
write is confined to the company in the URL. Query syntax errors (an unknown property in
`$select`, an unknown system query option, a bad `$filter`) answer 400 with
`BadRequest_NotFound`, Business Central's code for them (docs/protocols.md §B12).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from .._common import operations as ops
from .._common.batch_json import run_json_batch
from .._common.errors import BAD_QUERY, ODataError
from .._common.http import Reply, Request
from .._common.records import Tx
from .._common.types import parse_guid
from . import document_actions, statistics, writes
from .actions import ActionContext, find_action
from .dialect import BusinessCentralDialect
from .filters import check_filter
from .metadata import metadata_document
from .schema import CUSTOM, STANDARD, Table
from .tables import BY_NAME, sets_of

_GROUP = re.compile(r"^(?P<group>v2\.0|couplet/integration/v1\.0)(?:/(?P<rest>.*))?$")
_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_$][A-Za-z0-9_.$]*)(?:\((?P<key>[^()]*)\))?$")

# Sets the server fills by itself: clients read them only.
READ_ONLY = {
    "company",
    "salesShipment",
    "salesShipmentLine",
    "itemLedgerEntry",
    "customerLedgerEntry",
    "detailedCustomerLedgerEntry",
    "customerStatistic",
    "itemAvailability",
    "salesQuoteArchive",
    "salesQuoteArchiveLine",
    "unitGroup",
}
SINGLETONS = {"salesSetup", "companyInformation"}  # one row per company: GET and PATCH
APPEND_ONLY = {"itemAdjustment"}  # posted at once: POST and GET only

assert document_actions  # registers the actions with `find_action`
SubscriptionsHandler = Callable[[Tx, Request, str], Reply]


def _not_found(segment: str) -> ODataError:
    return ODataError(
        404,
        f"No HTTP resource was found that matches the request URI (segment '{segment}').",
        "BadRequest_NotFound",
    )


@contextmanager
def query_syntax() -> Iterator[None]:
    """Query option errors from the shared query layer, with Business Central's code."""
    try:
        yield
    except ODataError as err:
        if err.status != 400 or err.code != BAD_QUERY:
            raise
        raise ODataError(400, err.message, "BadRequest_NotFound", target=err.target) from None


def _method_not_allowed(method: str, what: str) -> ODataError:
    return ODataError(
        405, f"'{method}' requests for '{what}' are not allowed.", "BadRequest_MethodNotAllowed"
    )


@functools.cache  # the same document for every app of the process
def _metadata_document(group: str) -> bytes:
    return metadata_document(group, READ_ONLY, SINGLETONS)


class ErpRouter:
    def __init__(
        self, dialect: BusinessCentralDialect, subscriptions: SubscriptionsHandler
    ) -> None:
        self.dialect = dialect
        self.model = dialect.model
        self.sets = {STANDARD: sets_of(STANDARD), CUSTOM: sets_of(CUSTOM)}
        self.subscriptions = subscriptions
        self.metadata = {group: _metadata_document(group) for group in (STANDARD, CUSTOM)}

    def __call__(self, tx: Tx, req: Request) -> Reply:
        match = _GROUP.match(req.path.strip("/"))
        if match is None:
            raise _not_found(req.path.split("/")[0])
        group, rest = match.group("group"), match.group("rest") or ""
        segments = [s for s in rest.split("/") if s]
        if segments == ["$batch"]:
            if req.method != "POST":
                raise _method_not_allowed(req.method, "$batch")
            return run_json_batch(tx, req, self, self._error)
        if segments == ["$metadata"]:
            if req.method != "GET":
                raise _method_not_allowed(req.method, "$metadata")
            return Reply(200, raw=self.metadata[group], content_type="application/xml")
        if group == STANDARD and segments and segments[0].startswith("subscriptions"):
            return self.subscriptions(tx, req, rest)
        if not segments:
            return Reply(
                200,
                {
                    "@odata.context": f"{req.base_url}{group}/$metadata",
                    "value": [
                        {"name": s, "kind": "EntitySet", "url": s} for s in sorted(self.sets[group])
                    ],
                },
            )
        first = _SEGMENT.match(segments[0])
        if first is None or first.group("name") != "companies":
            raise _not_found(segments[0])
        company_entity = self.model.entity("company")
        if first.group("key") is None:
            if len(segments) > 1:
                raise _not_found(segments[1])
            if req.method != "GET":
                raise _method_not_allowed(req.method, "companies")
            # Relative to the group, so the context URL names the group's $metadata.
            in_group = dataclasses.replace(
                req, path=segments[0], base_url=f"{req.base_url}{group}/"
            )
            with query_syntax():
                return ops.query_collection(tx, self.dialect, company_entity, in_group)
        company_id = self._company_id(tx, first.group("key"))
        scoped = Request(
            method=req.method,
            path="/".join(segments[1:]),
            query=req.query,
            headers=req.headers,
            body=req.body,
            base_url=f"{req.base_url}{group}/companies({company_id})/",
        )
        if len(segments) == 1:
            if req.method != "GET":
                raise _method_not_allowed(req.method, "companies")
            with query_syntax():
                return ops.read_single(tx, self.dialect, company_entity, company_id, scoped)
        return self._in_company(tx, scoped, group, company_id)

    def _error(self, err: ODataError) -> Reply:
        return Reply(err.status, self.dialect.error_body(err), dict(err.headers))

    @staticmethod
    def _company_id(tx: Tx, text: str) -> str:
        text = text.strip()
        if text.startswith("name="):
            row = tx.first("company", name=text[5:].strip("'"))
            if row is None:
                raise _not_found(f"companies({text})")
            return str(row["id"])
        key = parse_guid(text, "id")
        if tx.get("company", key) is None:
            raise ODataError(404, f"The company {key} does not exist.", "BadRequest_NotFound")
        return key

    # -- inside a company -----------------------------------------------------------------

    def _in_company(self, tx: Tx, req: Request, group: str, company_id: str) -> Reply:
        segments = req.path.split("/")
        match = _SEGMENT.match(segments[0])
        table = self.sets[group].get(match.group("name")) if match else None
        if match is None or table is None:
            raise _not_found(segments[0])
        if match.group("key") is None:
            return self._collection(tx, req, table, company_id, segments[1:], {})
        key = self._row_key(tx, table, match.group("key"), company_id, {})
        if len(segments) == 1:
            return self._single(tx, req, table, key)
        action = segments[1]
        if action.startswith("Microsoft.NAV.") and len(segments) == 2:
            if req.method != "POST":
                raise _method_not_allowed(req.method, action)
            handler = find_action(table.entity.name, action[len("Microsoft.NAV.") :], group)
            if handler is None:
                raise _not_found(action)
            ctx = ActionContext(self.dialect, req, company_id)
            return handler(tx, ctx, tx.require(table.entity.name, key))
        child = _SEGMENT.match(action)
        nav = table.entity.nav(child.group("name")) if child else None
        if child is None or nav is None or not nav.many or len(segments) > 3:
            raise _not_found(action)
        target = self._table(nav.target)
        parent = {nav.fk: key}
        if child.group("key") is None:
            return self._collection(tx, req, target, company_id, segments[2:], parent)
        child_key = self._row_key(tx, target, child.group("key"), company_id, parent)
        return self._single(tx, req, target, child_key)

    @staticmethod
    def _table(entity: str) -> Table:
        return BY_NAME[entity]

    def _row_key(
        self, tx: Tx, table: Table, text: str, company_id: str, parent: dict[str, str]
    ) -> str:
        key = parse_guid(text.strip("'"), "id")
        row = tx.get(table.entity.name, key)
        if (
            row is None
            or row.get("companyId") != company_id
            or any(row.get(k) != v for k, v in parent.items())
        ):
            raise ODataError(
                404,
                f"The {table.entity.name} does not exist. Identification fields and values: "
                f"Id='{key}'",
                "BadRequest_NotFound",
            )
        return key

    def _collection(
        self,
        tx: Tx,
        req: Request,
        table: Table,
        company_id: str,
        rest: list[str],
        parent: dict[str, str],
    ) -> Reply:
        entity = table.entity
        t = self.model.table(entity.name)
        scope = sa.and_(t.c.companyId == company_id, *(t.c[k] == v for k, v in parent.items()))
        if rest == ["$count"] and req.method == "GET":
            check_filter(req.query.get("$filter"))
            with query_syntax():
                return ops.count_collection(tx, entity, req, scope, self.dialect)
        if rest:
            raise _not_found(rest[0])
        if req.method == "GET":
            check_filter(req.query.get("$filter"))
            statistics.before_read(tx, entity.name, company_id)
            with query_syntax():
                return ops.query_collection(tx, self.dialect, entity, req, scope)
        if req.method == "POST":
            if entity.name in READ_ONLY or entity.name in SINGLETONS:
                raise _method_not_allowed("POST", entity.entity_set)
            return writes.create(tx, self.dialect, entity, req, {"companyId": company_id, **parent})
        raise _method_not_allowed(req.method, entity.entity_set)

    def _single(self, tx: Tx, req: Request, table: Table, key: str) -> Reply:
        entity = table.entity
        if req.method == "GET":
            statistics.before_read(tx, entity.name, tx.require(entity.name, key)["companyId"])
            with query_syntax():
                return ops.read_single(tx, self.dialect, entity, key, req)
        writable = entity.name not in READ_ONLY and entity.name not in APPEND_ONLY
        if req.method == "PATCH" and writable:
            return writes.update(tx, self.dialect, entity, key, req)
        if req.method == "DELETE" and writable and entity.name not in SINGLETONS:
            return writes.delete(tx, self.dialect, entity, key, req)
        raise _method_not_allowed(req.method, entity.entity_set)
