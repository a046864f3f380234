"""Date formulas of payment terms (Business Central's "30D", "1M", "CM", "CM+10D", ...)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .._common.errors import ODataError

_TERM = re.compile(r"([+-]?)(\d*)(CM|D|W|M|Q|Y)", re.IGNORECASE)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def apply_formula(formula: str, base: dt.date) -> dt.date:
    """Applies a date formula; blank means the base date itself."""
    text = formula.replace(" ", "").upper()
    pos, day = 0, base
    while pos < len(text):
        m = _TERM.match(text, pos)
        if m is None:
            raise ODataError(
                400,
                f"The date formula '{formula}' is not valid.",
                "BadRequest",
                target="dueDateCalculation",
            )
        sign = -1 if m.group(1) == "-" else 1
        n = int(m.group(2) or 1) * sign
        unit = m.group(3)
        if unit == "CM":
            day = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        elif unit == "D":
            day += dt.timedelta(days=n)
        elif unit == "W":
            day += dt.timedelta(weeks=n)
        elif unit == "M":
            day = _add_months(day, n)
        elif unit == "Q":
            day = _add_months(day, 3 * n)
        else:
            day = _add_months(day, 12 * n)
        pos = m.end()
    return day
