"""Reading and writing rows inside one transaction, with row versions and tombstones.

Every write goes through `Tx`: it validates values against the metadata (required, length,
choices, references), stamps the row version and who/when columns, records deletions as
tombstones for change tracking, and lets the service's `Rules` enforce business rules and
recompute derived values. Rules run inside the same transaction, so an error anywhere
leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

from .errors import CONCURRENCY, DUPLICATE, NOT_FOUND, ODataError, not_found, validation
from .model import EntityDef, Field, FieldType, Model


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user or application user and what it may do.

    `privileges` maps an entity name (or "*") to the accesses granted: "read", "write".
    """

    id: str
    name: str
    privileges: dict[str, frozenset[str]] = field(default_factory=dict)
    is_admin: bool = False

    def can(self, entity: str, access: str) -> bool:
        if self.is_admin:
            return True
        granted = self.privileges.get(entity, frozenset()) | self.privileges.get("*", frozenset())
        return access in granted


SYSTEM = Principal(id="00000000-0000-0000-0000-000000000000", name="SYSTEM", is_admin=True)


class Rules(Protocol):
    """Business rules of a service, called by `Tx` around every non-internal write."""

    def before_insert(self, tx: Tx, entity: EntityDef, values: dict[str, Any]) -> None: ...

    def before_update(
        self, tx: Tx, entity: EntityDef, old: dict[str, Any], changes: dict[str, Any]
    ) -> None: ...

    def before_delete(self, tx: Tx, entity: EntityDef, row: dict[str, Any]) -> None: ...

    def after_write(
        self, tx: Tx, entity: EntityDef, row: dict[str, Any] | None, old: dict[str, Any] | None
    ) -> None: ...


class NoRules:
    def before_insert(self, tx: Tx, entity: EntityDef, values: dict[str, Any]) -> None:
        return None

    def before_update(
        self, tx: Tx, entity: EntityDef, old: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        return None

    def before_delete(self, tx: Tx, entity: EntityDef, row: dict[str, Any]) -> None:
        return None

    def after_write(
        self, tx: Tx, entity: EntityDef, row: dict[str, Any] | None, old: dict[str, Any] | None
    ) -> None:
        return None


KEY_PARAM = "_couplet_key"


# Statements by table, built once: SQLAlchemy then finds their compiled form in its cache
# without rebuilding and hashing a new statement for every row.
@functools.cache
def _by_key(table: sa.Table, key: str) -> sa.Select[Any]:
    return sa.select(table).where(table.c[key] == sa.bindparam(KEY_PARAM))


@functools.cache
def _insert(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


@functools.cache
def _update_by_key(table: sa.Table, key: str) -> sa.Update:
    return sa.update(table).where(table.c[key] == sa.bindparam(KEY_PARAM))


def next_version(conn: sa.Connection, model: Model) -> int:
    """Takes the next database-wide row version.

    The UPDATE locks the counter row until commit, so versions are handed out in commit
    order: a reader never sees version N+1 committed while N is still in flight, which is
    what makes delta tokens safe on PostgreSQL.
    """
    counter = model.version_counter
    value = conn.execute(
        sa.update(counter)
        .where(counter.c.id == 1)
        .values(value=counter.c.value + 1)
        .returning(counter.c.value)
    ).scalar_one_or_none()
    if value is None:
        conn.execute(sa.insert(counter).values(id=1, value=1))
        return 1
    return int(value)


def next_number(conn: sa.Connection, model: Model, name: str) -> int:
    """The next value of a named counter (document numbers); created at 1 on first use."""
    return reserve_numbers(conn, model, name, 1)


def reserve_numbers(conn: sa.Connection, model: Model, name: str, n: int) -> int:
    """Takes `n` consecutive values of a named counter in one statement; returns the first.

    Bulk writers (seeding) number thousands of rows; one statement per row would dominate.
    """
    seq = model.sequences
    value = conn.execute(
        sa.update(seq)
        .where(seq.c.name == name)
        .values(value=seq.c.value + n)
        .returning(seq.c.value)
    ).scalar_one_or_none()
    if value is None:
        conn.execute(sa.insert(seq).values(name=name, value=n))
        return 1
    return int(value) - n + 1


def current_version(conn: sa.Connection, model: Model) -> int:
    counter = model.version_counter
    value = conn.execute(sa.select(counter.c.value).where(counter.c.id == 1)).scalar()
    return int(value or 0)


class Tx:
    """One transaction of one caller against one service's database."""

    def __init__(
        self,
        conn: sa.Connection,
        model: Model,
        principal: Principal,
        rules: Rules,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.conn = conn
        self.model = model
        self.principal = principal
        self.rules = rules
        # Whole milliseconds: what clients read back is exactly what is stored and filtered on.
        now = clock()
        self.now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.scratch: dict[str, Any] = {}
        # Rows known to exist in this transaction (created or seen by a reference check), so
        # many rows pointing at one row check it once; deletes forget them.
        self._known: set[tuple[str, str]] = set()

    def flush(self) -> None:
        """Lets the rules finish work deferred to the end of the transaction (optional
        `before_commit(tx)` hook: derived summaries that many writes touch, outbox rows)."""
        hook = getattr(self.rules, "before_commit", None)
        if hook is not None:
            hook(self)

    # -- reads -----------------------------------------------------------------------

    def get(self, entity: str, key: str) -> dict[str, Any] | None:
        e = self.model.entity(entity)
        table = self.model.table(entity)
        row = self.conn.execute(_by_key(table, e.key), {KEY_PARAM: key}).mappings().first()
        return dict(row) if row is not None else None

    def require(self, entity: str, key: str) -> dict[str, Any]:
        row = self.get(entity, key)
        if row is None:
            raise not_found(entity, key)
        return row

    def find(self, entity: str, **equals: Any) -> list[dict[str, Any]]:
        table = self.model.table(entity)
        query = sa.select(table).where(*(table.c[k] == v for k, v in equals.items()))
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def first(self, entity: str, **equals: Any) -> dict[str, Any] | None:
        rows = self.find(entity, **equals)
        return rows[0] if rows else None

    # -- writes ----------------------------------------------------------------------

    def insert(
        self, entity: str, values: dict[str, Any], *, internal: bool = False
    ) -> dict[str, Any]:
        e = self.model.entity(entity)
        values = {k: v for k, v in values.items() if not _ignored(e.field(k), internal)}
        for f in e.fields:
            if f.name not in values and f.default is not None:
                values[f.name] = f.default() if callable(f.default) else f.default
        # A key made here is fresh: it can neither exist nor have a tombstone, which saves
        # two statements per row on the hot path of bulk creates.
        chosen_key = values.get(e.key) is not None
        if not chosen_key:
            values[e.key] = str(uuid.uuid4())
        if not internal:
            self.rules.before_insert(self, e, values)
        self._validate(e, values, creating=True)
        self._stamp(e, values, creating=True)
        table = self.model.table(entity)
        if chosen_key and self.get(entity, values[e.key]) is not None:
            raise ODataError(412, "A record with matching key values already exists.", DUPLICATE)
        row = {c.name: values.get(c.name) for c in table.columns}
        # Values as parameters, not in the statement: the compiled INSERT is then cached and
        # reused, which is most of the cost of a row on the bulk paths.
        self.conn.execute(_insert(table), row)
        if chosen_key:
            tomb = self.model.tombstones
            self.conn.execute(
                sa.delete(tomb).where(tomb.c.entity == entity, tomb.c.id == row[e.key])
            )
        self._known.add((entity, str(row[e.key])))
        self.rules.after_write(self, e, row, None)
        return self.require(entity, str(row[e.key]))

    def update(
        self,
        entity: str,
        key: str,
        changes: dict[str, Any],
        *,
        internal: bool = False,
        if_match: str | None = None,
        etag: Callable[[dict[str, Any]], str] | None = None,
    ) -> dict[str, Any]:
        e = self.model.entity(entity)
        old = self.require(entity, key)
        if if_match is not None and if_match != "*" and etag is not None and etag(old) != if_match:
            raise ODataError(
                412,
                "The version of the existing record doesn't match the RowVersion property "
                "provided.",
                CONCURRENCY,
            )
        changes = {
            k: v for k, v in changes.items() if k != e.key and not _ignored(e.field(k), internal)
        }
        if not internal:
            self.rules.before_update(self, e, old, changes)
        merged = {**old, **changes}
        self._validate(e, merged, creating=False, only=set(changes))
        self._stamp(e, changes, creating=False)
        table = self.model.table(entity)
        self.conn.execute(_update_by_key(table, e.key), {KEY_PARAM: key, **changes})
        row = {**old, **changes}
        self.rules.after_write(self, e, row, old)
        return row

    def delete(
        self,
        entity: str,
        key: str,
        *,
        internal: bool = False,
        if_match: str | None = None,
        etag: Callable[[dict[str, Any]], str] | None = None,
    ) -> dict[str, Any]:
        e = self.model.entity(entity)
        row = self.require(entity, key)
        if if_match is not None and if_match != "*" and etag is not None and etag(row) != if_match:
            raise ODataError(
                412,
                "The version of the existing record doesn't match the RowVersion property "
                "provided.",
                CONCURRENCY,
            )
        if not internal:
            self.rules.before_delete(self, e, row)
        table = self.model.table(entity)
        self.conn.execute(sa.delete(table).where(table.c[e.key] == key))
        self._known.discard((entity, key))
        tomb = self.model.tombstones
        version = next_version(self.conn, self.model)
        self.conn.execute(sa.delete(tomb).where(tomb.c.entity == entity, tomb.c.id == key))
        self.conn.execute(
            sa.insert(tomb).values(entity=entity, id=key, version=version, deleted_on=self.now)
        )
        self._remove_links(entity, key)
        self.rules.after_write(self, e, None, row)
        return row

    def _remove_links(self, entity: str, key: str) -> None:
        """Clears references to a deleted row ("remove link"), so none dangles.

        Each cleared row gets a new version, so change tracking reports it as changed.
        Services cascade deletes of owned rows (document lines) in their rules, before this.
        """
        for referrer, f in self.model.referrers.get(entity, ()):
            table = self.model.table(referrer)
            ref_key = self.model.entity(referrer).key
            query = sa.select(table.c[ref_key]).where(table.c[f.name] == key)
            if f.ref_type_field:
                query = query.where(table.c[f.ref_type_field] == entity)
            for (ref_id,) in self.conn.execute(query).all():
                changes: dict[str, Any] = {f.name: None}
                if f.ref_type_field:
                    changes[f.ref_type_field] = None
                self.update(referrer, ref_id, changes, internal=True)

    # -- helpers ---------------------------------------------------------------------

    def _stamp(self, e: EntityDef, values: dict[str, Any], *, creating: bool) -> None:
        conv = self.model.conventions
        values[conv.version] = next_version(self.conn, self.model)
        values[conv.modified_on] = self.now
        if conv.modified_by and e.field(conv.modified_by):
            values[conv.modified_by] = self.principal.id
        if creating:
            if conv.created_on and e.field(conv.created_on):
                values[conv.created_on] = self.now
            if conv.created_by and e.field(conv.created_by):
                values[conv.created_by] = self.principal.id

    def _validate(
        self,
        e: EntityDef,
        values: dict[str, Any],
        *,
        creating: bool,
        only: Iterable[str] | None = None,
    ) -> None:
        names = set(only) if only is not None else {f.name for f in e.fields}
        for f in e.fields:
            if f.name not in names:
                continue
            value = values.get(f.name)
            if f.required and (value is None or value == ""):
                raise validation(
                    f"The attribute '{f.name}' of '{e.name}' is required and cannot be empty.",
                    f.name,
                )
            if value is None:
                continue
            if f.max_length and isinstance(value, str) and len(value) > f.max_length:
                raise validation(
                    f"The length of the '{f.name}' attribute of the '{e.name}' entity exceeded "
                    f"the maximum allowed length of '{f.max_length}'.",
                    f.name,
                )
            if f.choices is not None and value not in f.choices:
                raise validation(
                    f"{value} is not a valid value for the attribute '{f.name}' of '{e.name}'.",
                    f.name,
                )
            if f.options is not None and value not in f.options:
                raise validation(
                    f"'{value}' is not an option for '{f.name}'. The existing options are: "
                    + ",".join(f.options),
                    f.name,
                )
            if f.ref and f.type is FieldType.GUID:
                self._check_reference(e, f, values)

    def _check_reference(self, e: EntityDef, f: Field, values: dict[str, Any]) -> None:
        targets = f.ref
        if f.ref_type_field:
            kind = values.get(f.ref_type_field)
            if kind not in f.ref:
                raise validation(f"The type of the reference '{f.name}' is not valid.", f.name)
            targets = (kind,)
        key = values[f.name]
        for target in targets:
            if (target, key) in self._known:
                return
            if self.get(target, key) is not None:
                self._known.add((target, key))
                return
        # A dangling reference is a mistake in the request body, not a missing resource.
        raise ODataError(
            400, f"{targets[0]} With Id = {key} Does Not Exist", NOT_FOUND, target=f.name
        )


def _ignored(f: Field | None, internal: bool) -> bool:
    if f is None:
        return False  # unknown names are rejected earlier, when the body is decoded
    return f.read_only and not internal
