"""Waking a sleeping job when its data changed.

A mapping's job that found nothing to do rests for its inactivity timeout. Business Central
wakes it when a record of the mapped table changes; couplet asks both systems instead, so a
change on either side (and a failed record waiting for its retry) ends the rest early.
"""

from __future__ import annotations

from .context import Context
from .echo import suppression
from .watermarks import candidates


def has_work(ctx: Context, name: str) -> bool:
    """Whether a run of the mapping would find a candidate (a cheap look: one small page)."""
    mapping = ctx.mapping(name)
    if mapping.option_mapping:
        return False  # option sets change rarely; their job keeps its own schedule
    marks = ctx.state.watermarks(name)
    now = ctx.clock()
    for pass_direction in mapping.direction.passes:
        source = pass_direction.source
        if ctx.state.failed_couplings(name, pass_direction.destination):
            return True
        port = ctx.port(source)
        table = mapping.table_on(source)
        filters = mapping.filter_on(source) + suppression(ctx, mapping, pass_direction, True)
        for page in candidates(port, table, filters, marks, source, now, page_size=50):
            if page:
                return True
            break
    return False
