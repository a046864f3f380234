"""Currencies and exchange rates: the factor that turns document amounts into LCY.

As in Business Central, a blank currency code means the local currency (LCY); for a
foreign currency the factor is exchangeRateAmount / relationalExchangeRateAmount of the
newest rate starting on or before the date (foreign units per LCY unit), and an amount in
LCY is amount / factor. A foreign currency without a rate cannot be used on a document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import ZERO, d, r2
from .hooks import Hooks, Row

ONE = Decimal(1)


def factor(tx: Tx, company_id: str, currency_id: str | None, on: dt.date) -> Decimal:
    if not currency_id:
        return ONE
    table = tx.model.table("currencyExchangeRate")
    row = tx.conn.execute(
        sa.select(table.c.exchangeRateAmount, table.c.relationalExchangeRateAmount)
        .where(
            table.c.companyId == company_id,
            table.c.currencyId == currency_id,
            table.c.startingDate <= on,
        )
        .order_by(table.c.startingDate.desc())
        .limit(1)
    ).first()
    if row is None or not d(row.relationalExchangeRateAmount):
        code = (tx.get("currency", currency_id) or {}).get("code", currency_id)
        raise ODataError(
            400,
            f"There is no exchange rate for currency {code} on or before {on.isoformat()}.",
            "BadRequest",
            target="currencyCode",
        )
    return (d(row.exchangeRateAmount) / d(row.relationalExchangeRateAmount)).quantize(
        Decimal("0.0000000001")
    )


def to_lcy(amount: Decimal, currency_factor: object) -> Decimal:
    f = d(currency_factor)
    return r2(amount / f) if f and f != ONE else amount


def _check_rate(tx: Tx, values: Row) -> None:
    for name in ("exchangeRateAmount", "relationalExchangeRateAmount"):
        if name in values and d(values[name]) <= ZERO:
            raise ODataError(400, f"{name} must be greater than 0.", "BadRequest", target=name)


def _check_currency(tx: Tx, values: Row) -> None:
    if "amountRoundingPrecision" in values and d(values["amountRoundingPrecision"]) < ZERO:
        raise ODataError(
            400,
            "amountRoundingPrecision must not be negative.",
            "BadRequest",
            target="amountRoundingPrecision",
        )


HOOKS = {
    "currencyExchangeRate": Hooks(
        before_insert=_check_rate, before_update=lambda tx, old, ch: _check_rate(tx, ch)
    ),
    "currency": Hooks(
        before_insert=_check_currency, before_update=lambda tx, old, ch: _check_currency(tx, ch)
    ),
}
