"""Echo suppression (§2.3): rows the integration itself wrote last are not read back.

After a pass writes rows, each system stamps them as modified by the integration's user
(Dataverse `_modifiedby_value`, the ERP's `systemModifiedBy`). The next pass the other way
would read them as candidates only to find them unchanged; instead its query leaves out
rows whose last modifier is the integration user - one more condition in the same query,
no round trip per record.

As in Business Central this holds only for a scheduled run (not a manual, targeted or full
synchronization, which must see every row) of a bidirectional mapping with no enabled
field mapping that runs in the pass's direction only: such a field may carry values the
system computed while the integration wrote (totals, defaults), which must flow back.

The integration user of each side is learned from the rows its own writes return, and kept
as a state cursor so every worker process knows it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .context import Context
from .model import Condition, Direction, Filter, Op, Row, Side, TableMapping

# The column that names a row's last modifier, as each API calls it in a filter.
MODIFIED_BY = {Side.ERP: "systemModifiedBy", Side.CRM: "_modifiedby_value"}


def cursor_name(side: Side) -> str:
    return f"integration-user:{side.value}"


def applies(mapping: TableMapping, pass_direction: Direction, scheduled: bool) -> bool:
    if not scheduled or mapping.direction is not Direction.BIDIRECTIONAL or mapping.parent:
        return False
    return not any(f.enabled and f.direction is pass_direction for f in mapping.fields)


def suppression(
    ctx: Context, mapping: TableMapping, pass_direction: Direction, scheduled: bool
) -> Filter:
    """The extra condition of the pass's query (none when echo suppression does not apply or
    the integration has not written to that side yet)."""
    if not applies(mapping, pass_direction, scheduled):
        return ()
    source = pass_direction.source
    user = ctx.state.cursor(cursor_name(source))
    return (Condition(MODIFIED_BY[source], Op.NE, user),) if user else ()


def learn(ctx: Context, side: Side, written: Iterable[Row | None]) -> None:
    """Remembers who the integration is on `side`, from rows its writes returned."""
    users = {row.modified_by for row in written if row is not None and row.modified_by}
    if len(users) != 1:
        return  # nothing said, or a system that does not stamp writes with one user
    (user,) = users
    if ctx.state.cursor(cursor_name(side)) != user:
        ctx.state.save_cursor(cursor_name(side), user)
