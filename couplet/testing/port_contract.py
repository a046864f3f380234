"""One contract for every `RecordPort`: the memory fake and the real connectors alike.

The engine relies on behaviour the protocol's signatures cannot say (pages oldest first, a
closed modified-since bound, missing ids absent rather than errors, one result per row in
order). The memory port used by the engine's tests once drifted from the connectors, so
the same checks run against all of them: subclass `RecordPortContract` in a test module
and give it a `subject` fixture that yields a `PortUnderTest`.

Modified stamps are driven by the subject's `FakeClock` (given to the reference services
too), so a test can put rows at known, distinct times without sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from couplet.engine.echo import MODIFIED_BY
from couplet.engine.model import Condition, Filter, Op, Ref, Row, Side
from couplet.engine.ports import RecordPort, WriteResult

from .clock import FakeClock


def contract_clock() -> FakeClock:
    """The clock to give the port (and its service): it starts off a whole millisecond, so
    a port that keeps finer stamps than its filters can say fails the closed bounds."""
    return FakeClock(dt.datetime(2025, 1, 1, 8, 0, 0, 123_456, tzinfo=dt.UTC))


@dataclass(frozen=True)
class ActionCall:
    """The arguments of one `RecordPort.act` call."""

    action: str
    table: str | None = None
    row_id: str | None = None
    body: Mapping[str, object] | None = None


@dataclass
class PortUnderTest:
    """A port and what the contract needs to know about one of its tables.

    `table` must be empty when the test starts. `make_row(n, tag)` gives the values of a
    valid new row: `label_field` set to a text unique to `n` (and sorting by `n`),
    `filter_field` - a text field that may be empty - set to `tag` (one of `tags`, two
    distinct texts). `bad_values` are values the system refuses, on insert and on update.
    `missing_id` has the shape of an id but names no row. `reference()` names a lookup
    field of the table and gives a `Ref` to a row it may point to. Actions are prepared on
    demand (they may create the rows they act on): `good_action` is one the system carries
    out, `failing_action` one it refuses.

    Where Dataverse and Business Central differ (what a missing value compares as), the
    contract expects each side's own behaviour, by the port's `side`.
    """

    port: RecordPort
    clock: FakeClock
    table: str
    label_field: str
    filter_field: str
    tags: tuple[str, str]
    make_row: Callable[[int, str], dict[str, object]]
    bad_values: dict[str, object]
    missing_id: str
    good_action: Callable[[], ActionCall]
    failing_action: Callable[[], ActionCall]
    reference: Callable[[], tuple[str, Ref]]


def _all(
    subject: PortUnderTest,
    *,
    filters: Filter = (),
    modified_from: dt.datetime | None = None,
    modified_until: dt.datetime | None = None,
) -> list[Row]:
    pages = subject.port.query(
        subject.table, filters=filters, modified_from=modified_from, modified_until=modified_until
    )
    return [row for page in pages for row in page]


def _reference_id(value: object) -> object:
    # Dataverse answers lookups as `Ref`s, Business Central most references as bare ids.
    return value.id if isinstance(value, Ref) else value


def _stored(results: list[WriteResult]) -> list[Row]:
    rows = [r.row for r in results]
    assert all(r.ok for r in results), [r.error for r in results]
    assert all(row is not None for row in rows)
    return [row for row in rows if row is not None]


def _insert_one_by_one(subject: PortUnderTest, count: int) -> list[Row]:
    """Inserts `count` rows, one second apart, tagged alternately with the two tags."""
    rows = []
    for n in range(count):
        subject.clock.advance()
        values = subject.make_row(n, subject.tags[n % 2])
        rows += _stored(subject.port.insert_many(subject.table, [values]))
    return rows


def _stamped_now(subject: PortUnderTest, row: Row) -> bool:
    """Whether the row's modified-on is the clock's time (services keep milliseconds)."""
    now = subject.clock.now
    return now - dt.timedelta(milliseconds=1) < row.modified_on <= now


def _label(n: int, subject: PortUnderTest) -> object:
    return subject.make_row(n, subject.tags[0])[subject.label_field]


class RecordPortContract:
    """The checks; a test class inheriting these needs a `subject` fixture."""

    # ---- query ---------------------------------------------------------------------------

    def test_an_empty_table_reads_as_one_empty_page(self, subject: PortUnderTest) -> None:
        assert list(subject.port.query(subject.table)) == [[]]

    def test_pages_respect_the_size_and_come_oldest_modification_first(
        self, subject: PortUnderTest
    ) -> None:
        rows = _insert_one_by_one(subject, 7)
        # Touching two early rows makes them the newest: order is by modification, not id
        # or creation.
        for touched in (rows[0], rows[3]):
            subject.clock.advance()
            change = {subject.label_field: f"{_label(0, subject)} touched {touched.id[:8]}"}
            _stored(subject.port.update_many(subject.table, [(touched.id, change)]))

        pages = list(subject.port.query(subject.table, page_size=3))

        assert [len(page) for page in pages] == [3, 3, 1]
        got = [row.id for page in pages for row in page]
        expected = [r.id for r in rows if r.id not in (rows[0].id, rows[3].id)]
        assert got == [*expected, rows[0].id, rows[3].id]
        stamps = [row.modified_on for page in pages for row in page]
        assert stamps == sorted(stamps) and len(set(stamps)) == 7

    def test_a_full_last_page_is_not_followed_by_an_empty_one(self, subject: PortUnderTest) -> None:
        _insert_one_by_one(subject, 4)
        assert [len(page) for page in subject.port.query(subject.table, page_size=2)] == [2, 2]

    def test_modified_bounds_are_both_closed(self, subject: PortUnderTest) -> None:
        first, middle, last = _insert_one_by_one(subject, 3)
        t = middle.modified_on
        assert first.modified_on < t < last.modified_on

        def ids(
            modified_from: dt.datetime | None = None, modified_until: dt.datetime | None = None
        ) -> list[str]:
            rows = _all(subject, modified_from=modified_from, modified_until=modified_until)
            return [row.id for row in rows]

        # A row modified exactly at the watermark is read again, never lost.
        assert ids(modified_from=t) == [middle.id, last.id]
        assert ids(modified_until=t) == [first.id, middle.id]
        assert ids(modified_from=t, modified_until=t) == [middle.id]
        assert ids(modified_from=last.modified_on + (last.modified_on - t)) == []

    def test_modified_bounds_count_to_the_millisecond(self, subject: PortUnderTest) -> None:
        """Stamps and the connectors' filters go to the millisecond, so a finer bound (a
        run's start time) reads the whole millisecond it falls in, on both ends."""
        (row,) = _insert_one_by_one(subject, 1)
        within = row.modified_on + dt.timedelta(microseconds=500)

        assert [r.id for r in _all(subject, modified_from=within)] == [row.id]
        assert [r.id for r in _all(subject, modified_until=within)] == [row.id]
        after = row.modified_on + dt.timedelta(milliseconds=1)
        assert _all(subject, modified_from=after) == []

    def test_filters_select_rows_and_combine_with_the_modified_bound(
        self, subject: PortUnderTest
    ) -> None:
        rows = _insert_one_by_one(subject, 5)
        first_tag, second_tag = subject.tags
        by_tag = {
            tag: [r.id for n, r in enumerate(rows) if subject.tags[n % 2] == tag]
            for tag in subject.tags
        }

        def ids(*conditions: Condition, modified_from: dt.datetime | None = None) -> list[str]:
            rows = _all(subject, filters=conditions, modified_from=modified_from)
            return [row.id for row in rows]

        field = subject.filter_field
        assert ids(Condition(field, Op.EQ, first_tag)) == by_tag[first_tag]
        assert ids(Condition(field, Op.NE, first_tag)) == by_tag[second_tag]
        assert ids(Condition(field, Op.IN, (first_tag, second_tag))) == [r.id for r in rows]
        assert ids(Condition(field, Op.EQ, second_tag), modified_from=rows[2].modified_on) == [
            rows[3].id
        ]
        label = rows[4].values[subject.label_field]
        assert ids(Condition(subject.label_field, Op.EQ, label)) == [rows[4].id]

    def test_comparisons_and_case_insensitive_equality(self, subject: PortUnderTest) -> None:
        rows = _insert_one_by_one(subject, 4)
        label = subject.label_field
        # Quotes and ampersands must survive the filter's literal and the URL.
        odd = "O'Brien & Co"
        _stored(subject.port.update_many(subject.table, [(rows[1].id, {label: odd})]))

        def ids(*conditions: Condition) -> set[str]:
            return {row.id for row in _all(subject, filters=conditions)}

        second = _label(2, subject)  # "O'Brien & Co" sorts before it, as text does
        assert ids(Condition(label, Op.GT, second)) == {rows[3].id}
        assert ids(Condition(label, Op.GE, second)) == {rows[2].id, rows[3].id}
        assert ids(Condition(label, Op.LT, second)) == {rows[0].id, rows[1].id}
        not_first = Condition(label, Op.NE, _label(0, subject))
        assert ids(Condition(label, Op.LE, second), not_first) == {rows[1].id, rows[2].id}
        assert ids(Condition(label, Op.IEQ, odd.upper())) == {rows[1].id}
        assert ids(Condition(label, Op.EQ, odd)) == {rows[1].id}
        assert subject.port.count(subject.table, (Condition(label, Op.IEQ, odd.lower()),)) == 1

    def test_a_cleared_value_reads_as_none(self, subject: PortUnderTest) -> None:
        (row,) = _insert_one_by_one(subject, 1)
        field = subject.filter_field

        (result,) = subject.port.update_many(subject.table, [(row.id, {field: None})])

        assert result.row is not None and result.row.values.get(field) is None
        assert subject.port.get_many(subject.table, [row.id])[row.id].values.get(field) is None

    def test_empty_text_reads_as_none_in_business_central(self, subject: PortUnderTest) -> None:
        """Business Central has no nulls; the connector reads blank text as None, so an
        engine comparing the two sides sees one "no value". (The reference CRM keeps '' as
        written, so there is nothing to check on that side.)"""
        if subject.port.side is not Side.ERP:
            return
        (row,) = _insert_one_by_one(subject, 1)
        field = subject.filter_field

        (result,) = subject.port.update_many(subject.table, [(row.id, {field: ""})])

        assert result.row is not None and result.row.values.get(field) is None
        assert subject.port.get_many(subject.table, [row.id])[row.id].values.get(field) is None

    def test_a_filter_on_none_finds_rows_without_a_value(self, subject: PortUnderTest) -> None:
        kept, cleared = _insert_one_by_one(subject, 2)
        field = subject.filter_field
        _stored(subject.port.update_many(subject.table, [(cleared.id, {field: None})]))

        def ids(op: Op) -> list[str]:
            return [row.id for row in _all(subject, filters=(Condition(field, op, None),))]

        assert ids(Op.EQ) == [cleared.id]
        assert ids(Op.NE) == [kept.id]
        assert subject.port.count(subject.table, (Condition(field, Op.EQ, None),)) == 1

    def test_how_a_missing_value_compares(self, subject: PortUnderTest) -> None:
        """Dataverse keeps nulls, which (as in SQL) satisfy no comparison with a value;
        Business Central has none, its empty text is '' and compares as such."""
        kept, cleared = _insert_one_by_one(subject, 2)
        field = subject.filter_field
        _stored(subject.port.update_many(subject.table, [(cleared.id, {field: None})]))

        def ids(op: Op, value: object) -> list[str]:
            return [row.id for row in _all(subject, filters=(Condition(field, op, value),))]

        other = subject.tags[0]
        if subject.port.side is Side.CRM:
            assert ids(Op.NE, other) == []
            assert ids(Op.LT, other + "z") == [kept.id]
        else:
            assert ids(Op.NE, other) == [cleared.id]
            assert ids(Op.LT, other + "z") == [kept.id, cleared.id]
        assert ids(Op.IN, (other,)) == [kept.id]

    def test_the_last_modifier_can_be_filtered_on(self, subject: PortUnderTest) -> None:
        """Echo suppression leaves out rows the integration wrote last, in query and count."""
        rows = _insert_one_by_one(subject, 3)
        users = {row.modified_by for row in rows}
        assert len(users) == 1 and None not in users  # writes through the port are stamped
        (user,) = users
        by = MODIFIED_BY[subject.port.side]

        assert [r.id for r in _all(subject, filters=(Condition(by, Op.EQ, user),))] == [
            r.id for r in rows
        ]
        assert _all(subject, filters=(Condition(by, Op.NE, user),)) == []
        assert subject.port.count(subject.table, (Condition(by, Op.EQ, user),)) == 3
        assert subject.port.count(subject.table, (Condition(by, Op.NE, user),)) == 0

    def test_references_are_written_read_and_filtered_by_id(self, subject: PortUnderTest) -> None:
        field, target = subject.reference()
        plain, linked = _insert_one_by_one(subject, 2)

        (result,) = subject.port.update_many(subject.table, [(linked.id, {field: target})])

        assert result.row is not None, result.error
        assert _reference_id(result.row.values[field]) == target.id
        read = subject.port.get_many(subject.table, [linked.id])[linked.id]
        assert _reference_id(read.values[field]) == target.id
        # The engine filters children by their parent's id, bare or as a reference.
        for value in (target.id, target):
            by_parent = (Condition(field, Op.EQ, value),)
            assert [row.id for row in _all(subject, filters=by_parent)] == [linked.id]
            assert subject.port.count(subject.table, by_parent) == 1
        assert plain.values.get(field) is None
        (cleared,) = subject.port.update_many(subject.table, [(linked.id, {field: None})])
        assert cleared.row is not None and _reference_id(cleared.row.values.get(field)) is None

    # ---- get_many ------------------------------------------------------------------------

    def test_get_many_reads_in_bulk_and_leaves_missing_ids_out(
        self, subject: PortUnderTest
    ) -> None:
        rows = _insert_one_by_one(subject, 3)
        wanted = [rows[2].id, subject.missing_id, rows[0].id, rows[2].id]

        got = subject.port.get_many(subject.table, wanted)

        assert set(got) == {rows[0].id, rows[2].id}
        assert all(row.id == key for key, row in got.items())
        assert got[rows[0].id].values[subject.label_field] == _label(0, subject)
        assert got[rows[0].id].modified_on == rows[0].modified_on
        # Read by id or by query, a row is the same row.
        assert [got[rows[0].id], got[rows[2].id]] == [r for r in _all(subject) if r.id in got]
        assert subject.port.get_many(subject.table, [subject.missing_id]) == {}
        assert subject.port.get_many(subject.table, []) == {}

    # ---- writes --------------------------------------------------------------------------

    def test_insert_answers_in_order_and_a_bad_row_fails_alone(
        self, subject: PortUnderTest
    ) -> None:
        subject.clock.advance()
        good = [subject.make_row(n, subject.tags[0]) for n in range(3)]
        bad = {**subject.make_row(9, subject.tags[0]), **subject.bad_values}

        results = subject.port.insert_many(subject.table, [good[0], bad, good[1], good[2]])

        assert [r.ok for r in results] == [True, False, True, True]
        assert results[1].error and results[1].row is None
        stored = [r.row for r in results if r.row is not None]
        assert [row.values[subject.label_field] for row in stored] == [
            _label(n, subject) for n in range(3)
        ]
        assert all(_stamped_now(subject, row) for row in stored)
        assert set(subject.port.get_many(subject.table, [row.id for row in stored])) == {
            row.id for row in stored
        }
        assert subject.port.count(subject.table) == 3

    def test_update_answers_in_order_with_per_row_errors(self, subject: PortUnderTest) -> None:
        first, second, third = _insert_one_by_one(subject, 3)
        subject.clock.advance()
        renamed = {subject.label_field: "renamed"}

        results = subject.port.update_many(
            subject.table,
            [
                (first.id, renamed),
                (subject.missing_id, renamed),
                (second.id, subject.bad_values),
                (third.id, {subject.filter_field: subject.tags[1]}),
            ],
        )

        assert [r.ok for r in results] == [True, False, False, True]
        assert results[1].error and results[2].error
        updated = _stored([results[0], results[3]])
        # An update writes only the given fields and answers the whole row as stored.
        assert updated[0].values[subject.label_field] == "renamed"
        assert updated[0].values[subject.filter_field] == first.values[subject.filter_field]
        assert updated[1].values[subject.filter_field] == subject.tags[1]
        assert updated[1].values[subject.label_field] == _label(2, subject)
        assert all(_stamped_now(subject, row) for row in updated)
        now = subject.port.get_many(subject.table, [first.id, second.id, third.id])
        assert [now[first.id], now[third.id]] == updated  # as answered, so as read back
        assert now[second.id].values == second.values  # the refused change left no trace
        assert now[second.id].modified_on == second.modified_on
        # A missing row is reported, never created.
        assert subject.port.get_many(subject.table, [subject.missing_id]) == {}
        assert subject.port.count(subject.table) == 3

    def test_delete_answers_in_order_with_per_row_errors(self, subject: PortUnderTest) -> None:
        first, second, third = _insert_one_by_one(subject, 3)

        results = subject.port.delete_many(subject.table, [first.id, subject.missing_id, third.id])

        assert [r.ok for r in results] == [True, False, True]
        assert results[1].error
        assert results[0].row is None and results[2].row is None  # nothing is stored any more
        assert list(subject.port.get_many(subject.table, [first.id, second.id, third.id])) == [
            second.id
        ]
        again = subject.port.delete_many(subject.table, [first.id])
        assert not again[0].ok and again[0].error

    def test_bulk_calls_larger_than_one_request_keep_their_order(
        self, subject: PortUnderTest
    ) -> None:
        """Connectors split long calls ($batch sizes, ids per URL); the caller cannot tell."""
        subject.clock.advance()
        values = [subject.make_row(n, subject.tags[n % 2]) for n in range(120)]
        values[105] = {**values[105], **subject.bad_values}

        results = subject.port.insert_many(subject.table, values)

        assert [r.ok for r in results] == [n != 105 for n in range(120)]
        labels = [r.row.values[subject.label_field] if r.row else None for r in results]
        assert labels == [_label(n, subject) if n != 105 else None for n in range(120)]
        ids = [r.row.id for r in results if r.row]
        assert set(subject.port.get_many(subject.table, [*ids, subject.missing_id])) == set(ids)
        assert subject.port.count(subject.table) == 119

    # ---- count ---------------------------------------------------------------------------

    def test_count_with_and_without_filters(self, subject: PortUnderTest) -> None:
        assert subject.port.count(subject.table) == 0
        _insert_one_by_one(subject, 5)
        field = subject.filter_field
        first_tag, second_tag = subject.tags

        assert subject.port.count(subject.table) == 5
        assert subject.port.count(subject.table, (Condition(field, Op.EQ, first_tag),)) == 3
        assert subject.port.count(subject.table, (Condition(field, Op.NE, first_tag),)) == 2
        both = (Condition(field, Op.IN, (first_tag, second_tag)),)
        assert subject.port.count(subject.table, both) == 5
        label = (Condition(subject.label_field, Op.EQ, _label(1, subject)),)
        assert subject.port.count(subject.table, label) == 1

    # ---- act -----------------------------------------------------------------------------

    def test_an_action_is_carried_out_and_a_refusal_is_an_error(
        self, subject: PortUnderTest
    ) -> None:
        done = _act(subject.port, subject.good_action())
        assert done.ok, done.error
        assert done.data is not None

        refused = _act(subject.port, subject.failing_action())
        assert not refused.ok and refused.error
        assert refused.row is None

    def test_an_unknown_action_is_an_error_not_an_exception(self, subject: PortUnderTest) -> None:
        (row,) = _insert_one_by_one(subject, 1)
        result = subject.port.act("NoSuchAction", table=subject.table, row_id=row.id)
        assert not result.ok and result.error


def _act(port: RecordPort, call: ActionCall) -> WriteResult:
    return port.act(call.action, table=call.table, row_id=call.row_id, body=call.body)
