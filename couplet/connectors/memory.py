"""A record port kept in memory: one side's tables as dictionaries of rows.

It behaves like the real connectors where the engine can tell: rows carry a modified-on
stamped from an injected clock (and who modified them), filters are evaluated, reads come
in pages oldest modification first, references (`Ref`) are kept as written. Its side
decides what "no value" is: Dataverse's null on the CRM side, Business Central's blank on
the ERP side. `couplet.testing.port_contract` holds it to the same checks as the real
connectors. Tests edit rows "as a user" with `add`/`edit`/`remove`, make writes fail with
`fail_writes`, and count the port's calls to check that the engine works in bulk.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from couplet.engine.echo import MODIFIED_BY
from couplet.engine.model import Condition, Filter, Op, Ref, Row, Side
from couplet.engine.ports import Clock, WriteResult

INTEGRATION_USER = "integration"
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
PERSON = "person"

WriteMatcher = Callable[[str | None, Mapping[str, object]], bool]
# (port, table or None, row id or None, body) -> what the action answers
ActionHandler = Callable[
    ["MemoryRecordPort", str | None, str | None, Mapping[str, object]], WriteResult
]


@dataclass
class _Failure:
    table: str
    matches: WriteMatcher
    message: str
    remaining: int | None


@dataclass
class MemoryRecordPort:
    """One side (ERP or CRM) in memory. Writes through the port are the integration's own."""

    side: Side
    clock: Clock
    tables: dict[str, dict[str, Row]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    # Every write through the port: (operation, table, row id, values written).
    writes: list[tuple[str, str, str, dict[str, object]]] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    # Actions a test teaches the port: action name -> handler. Every call is recorded.
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    acted: list[tuple[str, str | None, str | None, dict[str, object]]] = field(default_factory=list)

    # ---- the RecordPort protocol -------------------------------------------------------

    def query(
        self,
        table: str,
        *,
        filters: Filter = (),
        modified_from: dt.datetime | None = None,
        modified_until: dt.datetime | None = None,
        page_size: int = 1000,
    ) -> Iterator[list[Row]]:
        self.calls["query"] += 1
        # The connectors' filters name times to the millisecond; a finer bound is cut off.
        since = _to_milliseconds(modified_from) if modified_from else None
        until = _to_milliseconds(modified_until) if modified_until else None
        rows = sorted(
            (
                row
                for row in self._matching(table, filters)
                if (since is None or row.modified_on >= since)
                and (until is None or row.modified_on <= until)
            ),
            key=lambda row: (row.modified_on, row.id),
        )
        # Like the services, an empty result is still one (empty) page: one request.
        for start in range(0, max(len(rows), 1), page_size):
            self.calls["page"] += 1
            yield rows[start : start + page_size]

    def get_many(self, table: str, ids: Sequence[str]) -> dict[str, Row]:
        self.calls["get_many"] += 1
        stored = self.tables.get(table, {})
        return {i: stored[i] for i in ids if i in stored}

    def insert_many(self, table: str, rows: Sequence[Mapping[str, object]]) -> list[WriteResult]:
        self.calls["insert_many"] += 1
        results = []
        for values in rows:
            error = self._failure(table, None, values)
            if error:
                results.append(WriteResult(error=error))
            else:
                results.append(WriteResult(row=self._store(table, None, values, INTEGRATION_USER)))
        return results

    def update_many(
        self, table: str, changes: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WriteResult]:
        self.calls["update_many"] += 1
        results = []
        for row_id, values in changes:
            current = self.tables.get(table, {}).get(row_id)
            if current is None:
                # Reported before any failure rule is asked, so it uses up no `times`.
                results.append(WriteResult(error=f"{table} {row_id} does not exist"))
            elif error := self._failure(table, row_id, values):
                results.append(WriteResult(error=error))
            else:
                merged = {**current.values, **values}
                stored = self._store(table, row_id, merged, INTEGRATION_USER, values)
                results.append(WriteResult(row=stored))
        return results

    def delete_many(self, table: str, ids: Sequence[str]) -> list[WriteResult]:
        self.calls["delete_many"] += 1
        results = []
        for row_id in ids:
            # A deleted row is no longer stored, so (as from the services) the result has none.
            gone = self.tables.get(table, {}).pop(row_id, None)
            results.append(
                WriteResult() if gone else WriteResult(error=f"{table} {row_id} does not exist")
            )
        return results

    def count(self, table: str, filters: Filter = ()) -> int:
        self.calls["count"] += 1
        return sum(1 for _ in self._matching(table, filters))

    def act(
        self,
        action: str,
        *,
        table: str | None = None,
        row_id: str | None = None,
        body: Mapping[str, object] | None = None,
    ) -> WriteResult:
        self.calls["act"] += 1
        self.acted.append((action, table, row_id, dict(body or {})))
        handler = self.actions.get(action)
        if handler is None:
            return WriteResult(error=f"The action {action} is not supported here.")
        return handler(self, table, row_id, body or {})

    # ---- what a person does in the system (for tests) ----------------------------------

    def add(self, table: str, values: Mapping[str, object] | None = None, /, **more: object) -> Row:
        """Creates a row as a person would (not as the integration)."""
        return self._store(table, None, {**(values or {}), **more}, PERSON)

    def edit(self, table: str, row_id: str, /, **values: object) -> Row:
        current = self.tables[table][row_id]
        return self._store(table, row_id, {**current.values, **values}, PERSON)

    def remove(self, table: str, row_id: str) -> None:
        del self.tables[table][row_id]

    def row(self, table: str, row_id: str) -> Row:
        return self.tables[table][row_id]

    def rows(self, table: str) -> list[Row]:
        return list(self.tables.get(table, {}).values())

    def fail_writes(
        self,
        table: str,
        message: str,
        *,
        row_id: str | None = None,
        when: WriteMatcher | None = None,
        times: int | None = None,
    ) -> None:
        """Makes writes to `table` fail with `message`: all of them, those to one row, or those
        whose (row id, values) satisfy `when`; `times` limits how often (None: always)."""

        def matcher(target: str | None, values: Mapping[str, object]) -> bool:
            if row_id is not None and target != row_id:
                return False
            return when is None or when(target, values)

        self._failures.append(_Failure(table, matcher, message, times))

    def clear_failures(self) -> None:
        self._failures.clear()

    # ---- internals -----------------------------------------------------------------------

    def _matching(self, table: str, filters: Filter) -> Iterator[Row]:
        """The rows satisfying the filters, which may name the id and the last modifier as
        the services' filters can (the engine's echo suppression filters on the latter)."""
        for row in self.tables.get(table, {}).values():
            fields = {"id": row.id, **row.values, MODIFIED_BY[self.side]: row.modified_by}
            if matches(fields, filters, blanks=self.side is Side.ERP):
                yield row

    def _failure(self, table: str, row_id: str | None, values: Mapping[str, object]) -> str | None:
        for failure in self._failures:
            if (
                failure.table == table
                and failure.remaining != 0
                and failure.matches(row_id, values)
            ):
                if failure.remaining is not None:
                    failure.remaining -= 1
                return failure.message
        return None

    def _store(
        self,
        table: str,
        row_id: str | None,
        values: Mapping[str, object],
        user: str,
        written: Mapping[str, object] | None = None,
    ) -> Row:
        row = Row(
            id=row_id or str(uuid.uuid4()),
            modified_on=_to_milliseconds(self.clock()),
            values=_without_blanks(values) if self.side is Side.ERP else dict(values),
            modified_by=user,
        )
        self.tables.setdefault(table, {})[row.id] = row
        if user == INTEGRATION_USER:
            operation = "update" if row_id else "insert"
            self.writes.append((operation, table, row.id, dict(written or values)))
        return row


@dataclass
class MemoryOptionPort:
    """The CRM's choice columns in memory: (table, attribute) -> {value: label}."""

    options_by_column: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)
    first_value: int = 100_000_000  # Dataverse numbers custom options from here

    def options(self, table: str, attribute: str) -> dict[int, str]:
        return dict(self.options_by_column.get((table, attribute), {}))

    def add_option(self, table: str, attribute: str, label: str) -> int:
        column = self.options_by_column.setdefault((table, attribute), {})
        value = max([self.first_value - 1, *column]) + 1
        column[value] = label
        return value


def _without_blanks(values: Mapping[str, object]) -> dict[str, object]:
    # Business Central has no nulls; its connector reads blank text and the empty GUID as
    # None, so that is what the ERP side holds.
    return {k: None if v == "" or v == EMPTY_GUID else v for k, v in values.items()}


def _to_milliseconds(moment: dt.datetime) -> dt.datetime:
    # Both services keep modified-on to the millisecond, and the connectors' filters cannot
    # name a finer time; a finer stamp here would be one no real row can have.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def matches(values: Mapping[str, object], filters: Filter, *, blanks: bool = False) -> bool:
    """Whether a row's values satisfy every condition (references compare by id).

    A missing value (None) behaves as in the system the port stands for. Dataverse keeps
    nulls, and as in SQL a null satisfies no comparison but `eq null` (`ne 'x'` leaves it
    out). Business Central (`blanks`) has no nulls: an empty field holds the blank of its
    type, so it compares as '' with text and 0 with numbers (`ne 'x'` includes it).
    """
    return all(_holds(values.get(c.field), c, blanks) for c in filters)


def _holds(actual: object, condition: Condition, blanks: bool) -> bool:
    actual = actual.id if isinstance(actual, Ref) else actual
    expected = condition.value.id if isinstance(condition.value, Ref) else condition.value
    op = condition.op
    if actual is None and expected is not None and op is not Op.IN:
        if not blanks:
            return False
        actual = _blank_like(expected)
    if op is Op.EQ:
        return actual == expected
    if op is Op.NE:
        return actual != expected
    if op is Op.IN:
        return isinstance(expected, tuple | list | set | frozenset) and actual in expected
    if op is Op.IEQ:
        return str(actual or "").casefold() == str(expected or "").casefold()
    if actual is None or expected is None:
        return False
    try:
        if op is Op.GT:
            return bool(actual > expected)  # type: ignore[operator]
        if op is Op.GE:
            return bool(actual >= expected)  # type: ignore[operator]
        if op is Op.LT:
            return bool(actual < expected)  # type: ignore[operator]
        return bool(actual <= expected)  # type: ignore[operator]
    except TypeError:
        return False


def _blank_like(value: object) -> object:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return 0
    if isinstance(value, str):
        return ""
    return None
