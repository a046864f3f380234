"""Watermarks: which rows of a side are candidates for a pass, and how far a pass got.

The lower bound is closed (rows modified *at* the watermark are read again) because
modified-on values are coarse and many rows share one; the ids already handled at exactly
that moment are remembered and left out, so nothing is missed and nothing is done twice.
The upper bound is the run's start, so rows changed while the run is going are left for
the next one. A watermark only moves forward, and only after the page of rows it covers has
been written — a run that stops halfway resumes from the last finished page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator

from .model import Filter, Row, Side, Watermarks
from .ports import RecordPort


def mark_on(marks: Watermarks, side: Side) -> tuple[dt.datetime | None, frozenset[str]]:
    if side is Side.ERP:
        return marks.erp, marks.erp_seen
    return marks.crm, marks.crm_seen


def candidates(
    port: RecordPort,
    table: str,
    filters: Filter,
    marks: Watermarks,
    side: Side,
    until: dt.datetime,
    page_size: int,
) -> Iterator[list[Row]]:
    """Pages of rows changed since the watermark of `side`, up to `until`, oldest first.

    Rows already handled at the watermark moment are left out of the pages (a page may end
    up empty; it is still yielded so the caller can account for it).
    """
    since, seen = mark_on(marks, side)
    for page in port.query(
        table, filters=filters, modified_from=since, modified_until=until, page_size=page_size
    ):
        yield [row for row in page if not (row.modified_on == since and row.id in seen)]


def advance(marks: Watermarks, side: Side, rows: Iterable[Row], until: dt.datetime) -> Watermarks:
    """The watermarks once `rows` (candidates of `side`) have been handled; never backwards."""
    stamps = [(min(row.modified_on, until), row.id) for row in rows]
    if not stamps:
        return marks
    latest = max(stamp for stamp, _ in stamps)
    return _moved(marks, side, latest, frozenset(i for stamp, i in stamps if stamp == latest))


def merged(current: Watermarks, other: Watermarks) -> Watermarks:
    """The later of two sets of watermarks, side by side (a full synchronization hands its
    progress to the mapping's scheduled runs this way)."""
    result = current
    for side in Side:
        since, seen = mark_on(other, side)
        if since is not None:
            result = _moved(result, side, since, seen)
    return result


def _moved(marks: Watermarks, side: Side, latest: dt.datetime, ids: frozenset[str]) -> Watermarks:
    since, seen = mark_on(marks, side)
    if since is not None and latest < since:
        return marks
    if latest == since:
        ids = seen | ids
    if side is Side.ERP:
        return dataclasses.replace(marks, erp=latest, erp_seen=ids)
    return dataclasses.replace(marks, crm=latest, crm_seen=ids)
