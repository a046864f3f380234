"""The generic OData operations on an entity set: query, read, create, update/upsert, delete.

Each takes a `Tx` (one transaction as one caller) and a transport-neutral `Request`, checks
the caller's privileges and answers a `Reply`; the service's router decides which applies.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from .dialect import Dialect
from .errors import ODataError, bad_request, not_found
from .http import Reply, Request
from .model import EntityDef
from .paging import after_cursor, encode_cursor, order_clauses, order_columns
from .query import QueryOptions, check_nested, filter_condition, parse_options
from .records import Tx, current_version


def require_privilege(tx: Tx, entity: EntityDef, access: str) -> None:
    if not tx.principal.can(entity.name, access):
        raise ODataError(
            403,
            f"Principal user (Id={tx.principal.id}) is missing prv{access.capitalize()}"
            f"{entity.name} privilege on entity '{entity.name}'.",
            "0x80040220",
        )


def _page_size(req: Request, dialect: Dialect) -> tuple[int, bool]:
    raw = req.prefer().get("odata.maxpagesize")
    if raw is None:
        return dialect.max_page_size, False
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request(f"Invalid odata.maxpagesize value '{raw}'.")
    return min(int(raw), dialect.max_page_size), int(raw) <= dialect.max_page_size


def _link(req: Request, **replace: str) -> str:
    params = {k: v for k, v in req.query.items() if k not in ("$skiptoken", "$deltatoken")}
    params.update(replace)
    return f"{req.base_url}{req.path}?{urlencode(params)}"


def query_collection(
    tx: Tx,
    dialect: Dialect,
    entity: EntityDef,
    req: Request,
    scope: sa.ColumnElement[bool] | None = None,
) -> Reply:
    """GET on an entity set: filter, order, keyset paging, expand, count, change tracking."""
    require_privilege(tx, entity, "read")
    state: dict[str, Any] = (
        _read_token(req.query["$skiptoken"]) if "$skiptoken" in req.query else {}
    )
    # The next page of a tracked read is still tracked: the token carries the start version.
    tracking = "odata.track-changes" in req.prefer() or "$deltatoken" in req.query or "t" in state
    if tracking:
        for opt in ("$filter", "$orderby", "$expand", "$top"):
            if opt in req.query:
                raise bad_request(
                    f'The "{opt[1:]}" query parameter isn\'t supported when Change Tracking is '
                    "enabled."
                )
    opts = parse_options(req.query, entity)
    if "$deltatoken" in req.query:
        return _delta(tx, dialect, entity, req, opts)
    table = tx.model.table(entity.name)
    page_size, applied = _page_size(req, dialect)
    where = _conditions(tx, table, entity, opts, scope)
    cols = order_columns(table, entity, opts.orderby)
    query = sa.select(table).where(*where).order_by(*order_clauses(cols))
    if opts.skiptoken:
        if "k" not in state:
            raise bad_request("The $skiptoken value is not valid for this query.")
        query = query.where(after_cursor(state["k"], cols, entity))
    limit = page_size
    if opts.top is not None:
        remaining = opts.top - int(state.get("n", 0))
        limit = max(0, min(limit, remaining))
    rows = [dict(r) for r in tx.conn.execute(query.limit(limit + 1)).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    if opts.top is not None and int(state.get("n", 0)) + len(rows) >= opts.top:
        more = False
    body: dict[str, Any] = {"@odata.context": dialect.context(req.base_url, entity, opts.select)}
    if opts.count:
        total = tx.conn.execute(
            sa.select(sa.func.count()).select_from(table).where(*where)
        ).scalar()
        body["@odata.count"] = _capped(int(total or 0), dialect)
    annotations = _annotations(req)
    values = [dialect.represent(entity, r, opts.select, annotations) for r in rows]
    expand_rows(tx, dialect, entity, rows, values, opts, annotations)
    body["value"] = values
    headers: dict[str, str] = {}
    applied_prefs = []
    if applied:
        applied_prefs.append(f"odata.maxpagesize={page_size}")
    version = state.get("t")
    if tracking:
        applied_prefs.append("odata.track-changes")
        if version is None:
            version = current_version(tx.conn, tx.model)
    if more:
        token = {"k": encode_cursor(rows[-1], cols), "n": int(state.get("n", 0)) + len(rows)}
        if version is not None:
            token["t"] = version
        body["@odata.nextLink"] = _link(req, **{"$skiptoken": _write_token(token)})
    elif tracking:
        body["@odata.deltaLink"] = _link(
            req, **{"$deltatoken": _delta_token(tx, int(version or 0))}
        )
    if applied_prefs:
        headers["Preference-Applied"] = ",".join(applied_prefs)
    return Reply(200, body, headers)


def _annotations(req: Request) -> bool:
    # Any requested annotation turns annotations on; clients ignore the ones they did not ask
    # for, so answering with all of them is simpler and still correct.
    return bool(req.prefer().get("odata.include-annotations"))


def _conditions(
    tx: Tx,
    table: sa.Table,
    entity: EntityDef,
    opts: QueryOptions,
    scope: sa.ColumnElement[bool] | None,
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if scope is not None:
        where.append(scope)
    if opts.filter:
        where.append(filter_condition(opts.filter, table, entity, tx.model.conventions))
    return where


def _capped(total: int, dialect: Dialect | None) -> int:
    cap = dialect.max_count if dialect is not None else Dialect.max_count
    return total if cap is None else min(total, cap)


def count_collection(
    tx: Tx,
    entity: EntityDef,
    req: Request,
    scope: sa.ColumnElement[bool] | None = None,
    dialect: Dialect | None = None,
) -> Reply:
    require_privilege(tx, entity, "read")
    opts = parse_options(req.query, entity)
    table = tx.model.table(entity.name)
    total = tx.conn.execute(
        sa.select(sa.func.count())
        .select_from(table)
        .where(*_conditions(tx, table, entity, opts, scope))
    ).scalar()
    text = str(_capped(int(total or 0), dialect))
    return Reply(200, raw=text.encode(), content_type="text/plain")


def expand_rows(
    tx: Tx,
    dialect: Dialect,
    entity: EntityDef,
    rows: list[dict[str, Any]],
    values: list[dict[str, Any]],
    opts: QueryOptions,
    annotations: bool,
) -> None:
    """Adds expanded navigation properties to already rendered rows, one query per property."""
    for option in opts.expand:
        nav = entity.nav(option.nav)
        assert nav is not None
        target = tx.model.entity(nav.target)
        require_privilege(tx, target, "read")
        check_nested(option.options, target)
        table = tx.model.table(target.name)
        where = _conditions(tx, table, target, option.options, None)
        if not nav.many:
            keys = {r[nav.fk] for r in rows if r.get(nav.fk) and _matches(r, nav.discriminator)}
            found: dict[Any, dict[str, Any]] = {}
            for chunk in _chunks(sorted(keys), 500):
                query = sa.select(table).where(table.c[target.key].in_(chunk), *where)
                found.update({r[target.key]: dict(r) for r in tx.conn.execute(query).mappings()})
            for row, out in zip(rows, values, strict=True):
                hit = found.get(row.get(nav.fk)) if _matches(row, nav.discriminator) else None
                out[nav.name] = (
                    dialect.represent(target, hit, option.options.select, annotations)
                    if hit
                    else None
                )
            continue
        ids = [r[entity.key] for r in rows]
        children: dict[Any, list[dict[str, Any]]] = {i: [] for i in ids}
        cols = order_columns(table, target, option.options.orderby)
        for chunk in _chunks(ids, 500):
            query = sa.select(table).where(table.c[nav.fk].in_(chunk), *where)
            if nav.discriminator:
                query = query.where(table.c[nav.discriminator[0]] == nav.discriminator[1])
            for r in tx.conn.execute(query.order_by(*order_clauses(cols))).mappings():
                children[r[nav.fk]].append(dict(r))
        for row, out in zip(rows, values, strict=True):
            kids = children[row[entity.key]][: option.options.top or dialect.max_page_size]
            out[nav.name] = [
                dialect.represent(target, k, option.options.select, annotations) for k in kids
            ]


def _matches(row: dict[str, Any], discriminator: tuple[str, str] | None) -> bool:
    return discriminator is None or row.get(discriminator[0]) == discriminator[1]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def read_single(tx: Tx, dialect: Dialect, entity: EntityDef, key: str, req: Request) -> Reply:
    require_privilege(tx, entity, "read")
    opts = parse_options(req.query, entity)
    row = tx.get(entity.name, key)
    if row is None:
        raise not_found(entity.name, key)
    etag = dialect.etag(row)
    if req.header("if-none-match") == etag and not opts.expand:
        return Reply(304, headers={"ETag": etag})
    annotations = _annotations(req)
    out = dialect.represent(entity, row, opts.select, annotations)
    expand_rows(tx, dialect, entity, [row], [out], opts, annotations)
    body = {
        "@odata.context": dialect.context(req.base_url, entity, opts.select, single=True),
        **out,
    }
    return Reply(200, body, {"ETag": etag})


def entity_url(req: Request, entity: EntityDef, key: str) -> str:
    return f"{req.base_url}{entity.entity_set}({key})"


def written(
    tx: Tx, dialect: Dialect, entity: EntityDef, row: dict[str, Any], req: Request, created: bool
) -> Reply:
    """The answer to a successful write: 204 with the id, or the row when asked for it."""
    url = entity_url(req, entity, row[entity.key])
    headers = {"OData-EntityId": url, "ETag": dialect.etag(row)}
    if created:
        headers["Location"] = url
    if req.prefer().get("return") == "representation":
        opts = parse_options(req.query, entity)
        out = dialect.represent(entity, row, opts.select, _annotations(req))
        expand_rows(tx, dialect, entity, [row], [out], opts, _annotations(req))
        body = {"@odata.context": dialect.context(req.base_url, entity, opts.select, True), **out}
        headers["Preference-Applied"] = "return=representation"
        return Reply(201 if created else 200, body, headers)
    return Reply(204, headers=headers)


def create(
    tx: Tx, dialect: Dialect, entity: EntityDef, req: Request, extra: dict[str, Any] | None = None
) -> Reply:
    require_privilege(tx, entity, "write")
    values = dialect.decode(tx, entity, req.json())
    values.update(extra or {})
    row = tx.insert(entity.name, values)
    return written(tx, dialect, entity, row, req, created=True)


def update_or_upsert(tx: Tx, dialect: Dialect, entity: EntityDef, key: str, req: Request) -> Reply:
    """PATCH to a key URL: update, or create with that key (upsert) unless `If-Match: *`."""
    require_privilege(tx, entity, "write")
    if_match, if_none_match = req.header("if-match"), req.header("if-none-match")
    existing = tx.get(entity.name, key)
    values = dialect.decode(tx, entity, req.json())
    if existing is None:
        if if_match is not None:
            raise not_found(entity.name, key)
        values[entity.key] = key
        row = tx.insert(entity.name, values)
        return written(tx, dialect, entity, row, req, created=True)
    if if_none_match == "*":
        raise ODataError(412, "A record with matching key values already exists.", "0x80040237")
    row = tx.update(entity.name, key, values, if_match=if_match, etag=dialect.etag)
    row = tx.require(entity.name, key)
    return written(tx, dialect, entity, row, req, created=False)


def delete(tx: Tx, dialect: Dialect, entity: EntityDef, key: str, req: Request) -> Reply:
    require_privilege(tx, entity, "write")
    tx.delete(entity.name, key, if_match=req.header("if-match"), etag=dialect.etag)
    return Reply(204)


# -- change tracking ---------------------------------------------------------------------


def _write_token(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
        if not isinstance(state, dict):
            raise ValueError
        return state
    except (ValueError, UnicodeDecodeError):
        raise bad_request("The $skiptoken value is not valid for this query.") from None


def _delta_token(tx: Tx, version: int) -> str:
    return f"{version}!{tx.now.strftime('%m/%d/%Y %H:%M:%S')}"


def _delta(tx: Tx, dialect: Dialect, entity: EntityDef, req: Request, opts: QueryOptions) -> Reply:
    """Changes since a delta token: new/changed rows by version, then deletions."""
    raw = req.query["$deltatoken"]
    head = raw.split("!", 1)[0]
    if not head.isdigit():
        raise bad_request("The delta token is not valid.")
    since = int(head)
    state = _read_token(opts.skiptoken) if opts.skiptoken else {}
    upto = int(state.get("u", current_version(tx.conn, tx.model)))
    page_size, applied = _page_size(req, dialect)
    table = tx.model.table(entity.name)
    vcol = table.c[tx.model.conventions.version]
    body: dict[str, Any] = {
        "@odata.context": dialect.context(req.base_url, entity, opts.select) + "/$delta"
    }
    values: list[dict[str, Any]] = []
    phase, after = state.get("p", "rows"), int(state.get("a", since))
    if phase == "rows":
        rows = [
            dict(r)
            for r in tx.conn.execute(
                sa.select(table)
                .where(vcol > after, vcol <= upto)
                .order_by(vcol)
                .limit(page_size + 1)
            ).mappings()
        ]
        values = [dialect.represent(entity, r, opts.select) for r in rows[:page_size]]
        if len(rows) > page_size:
            last = rows[page_size - 1][tx.model.conventions.version]
            body["value"] = values
            body["@odata.nextLink"] = _link(
                req,
                **{
                    "$deltatoken": raw,
                    "$skiptoken": _write_token({"p": "rows", "a": last, "u": upto}),
                },
            )
            return _delta_reply(body, applied, page_size)
        phase, after = "deleted", since
    tomb = tx.model.tombstones
    room = page_size - len(values)
    deleted = list(
        tx.conn.execute(
            sa.select(tomb.c.id, tomb.c.version)
            .where(tomb.c.entity == entity.name, tomb.c.version > after, tomb.c.version <= upto)
            .order_by(tomb.c.version)
            .limit(room + 1)
        )
    )
    context = f"{req.base_url}$metadata#{entity.entity_set}/$deletedEntity"
    values += [{"@odata.context": context, "id": d.id, "reason": "deleted"} for d in deleted[:room]]
    body["value"] = values
    if len(deleted) > room:
        body["@odata.nextLink"] = _link(
            req,
            **{
                "$deltatoken": raw,
                "$skiptoken": _write_token(
                    {"p": "deleted", "a": deleted[room - 1].version if room else after, "u": upto}
                ),
            },
        )
    else:
        body["@odata.deltaLink"] = _link(req, **{"$deltatoken": _delta_token(tx, upto)})
    return _delta_reply(body, applied, page_size)


def _delta_reply(body: dict[str, Any], applied: bool, page_size: int) -> Reply:
    prefs = ["odata.track-changes"] + ([f"odata.maxpagesize={page_size}"] if applied else [])
    return Reply(200, body, {"Preference-Applied": ",".join(prefs)})
