"""Create, update and delete the Business Central way (docs/protocols.md §B5, §B6).

POST answers 201 with the entity (deep insert: lines nested in the body are created with
the header); PATCH needs `If-Match` (428 without, 412 when stale) and answers 200 with the
entity; DELETE needs `If-Match` too and answers 204. There is no upsert.
"""

from __future__ import annotations

from typing import Any

from .._common.dialect import Dialect
from .._common.errors import ODataError
from .._common.http import Reply, Request
from .._common.model import EntityDef
from .._common.operations import expand_rows, require_privilege
from .._common.query import parse_options
from .._common.records import Tx


def entity_url(req: Request, entity: EntityDef, key: str) -> str:
    return f"{req.base_url}{entity.entity_set}({key})"


def answer(
    tx: Tx,
    dialect: Dialect,
    entity: EntityDef,
    key: str,
    req: Request,
    status: int,
    nested: list[str] = (),  # type: ignore[assignment]
) -> Reply:
    """The entity as it is now, with `$select`/`$expand` and any deep-inserted lines."""
    row = tx.require(entity.name, key)
    query = dict(req.query)
    if nested:
        expands = [x for x in query.get("$expand", "").split(",") if x]
        named = {x.split("(")[0] for x in expands}
        expands += [_in_sequence(tx, entity, n) for n in nested if n not in named]
        query["$expand"] = ",".join(expands)
    opts = parse_options(query, entity)
    out = dialect.represent(entity, row, opts.select)
    expand_rows(tx, dialect, entity, [row], [out], opts, False)
    body = {"@odata.context": dialect.context(req.base_url, entity, opts.select, True), **out}
    headers = {"ETag": out["@odata.etag"]}
    if status == 201:
        headers["Location"] = entity_url(req, entity, key)
    return Reply(status, body, headers)


def _in_sequence(tx: Tx, entity: EntityDef, nav_name: str) -> str:
    nav = entity.nav(nav_name)
    target = tx.model.entity(nav.target) if nav else None
    return f"{nav_name}($orderby=sequence)" if target and target.field("sequence") else nav_name


def create(
    tx: Tx, dialect: Dialect, entity: EntityDef, req: Request, extra: dict[str, Any]
) -> Reply:
    require_privilege(tx, entity, "write")
    body = req.json()
    nested: dict[str, Any] = {}
    for nav in entity.navs:
        if nav.many and nav.name in body:
            nested[nav.name] = body.pop(nav.name)
    values = dialect.decode(tx, entity, body)
    values.update(extra)
    row = tx.insert(entity.name, values)
    for name, items in nested.items():
        child_nav = entity.nav(name)
        assert child_nav is not None
        target = tx.model.entity(child_nav.target)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ODataError(400, f"{name} must be an array of objects.", target=name)
        for item in items:
            child = dialect.decode(tx, target, item)
            child.update(extra)
            child[child_nav.fk] = row["id"]
            tx.insert(target.name, child)
    return answer(tx, dialect, entity, row["id"], req, 201, list(nested))


def _if_match(req: Request) -> str:
    value = req.header("if-match")
    if not value:
        raise ODataError(
            428,
            "Could not validate the client concurrency token required by the service. Please "
            "provide a valid token in the client request (If-Match).",
        )
    return value


def _stale() -> ODataError:
    return ODataError(
        412,
        "Another user has already changed the record. Read it again and retry.",
        "Request_EntityChanged",
    )


def update(tx: Tx, dialect: Dialect, entity: EntityDef, key: str, req: Request) -> Reply:
    require_privilege(tx, entity, "write")
    if_match = _if_match(req)
    tx.require(entity.name, key)
    values = dialect.decode(tx, entity, req.json())
    for nav in entity.navs:
        if nav.many and nav.name in values:
            raise ODataError(400, "Deep update is not supported; patch each line.", target=nav.name)
    try:
        tx.update(entity.name, key, values, if_match=if_match, etag=dialect.etag)
    except ODataError as err:
        raise (_stale() if err.status == 412 else err) from None
    return answer(tx, dialect, entity, key, req, 200)


def delete(tx: Tx, dialect: Dialect, entity: EntityDef, key: str, req: Request) -> Reply:
    require_privilege(tx, entity, "write")
    if_match = _if_match(req)
    try:
        tx.delete(entity.name, key, if_match=if_match, etag=dialect.etag)
    except ODataError as err:
        raise (_stale() if err.status == 412 else err) from None
    return Reply(204)
