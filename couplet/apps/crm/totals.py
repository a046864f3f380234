"""Pricing arithmetic of quote, order and invoice lines and headers (docs/behaviour.md §9).

line:   baseamount = (priceperunit - volumediscountamount) x quantity
        extendedamount = baseamount - manualdiscountamount + tax
header: totallineitemdiscountamount = sum of line manual discounts
        totallineitemamount = sum of baseamount - line discounts
        header discount = discountamount + round(totallineitemamount x discountpercentage / 100)
        totaldiscountamount = header discount + line discounts
        totalamountlessfreight = totallineitemamount - header discount
        totalamount = totalamountlessfreight + freightamount + totaltax
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from .._common.records import Tx

CENT = Decimal("0.01")
ZERO = Decimal(0)

# line table -> (header table, the line's lookup column to its header)
LINES = {
    "quotedetail": ("quote", "_quoteid_value"),
    "salesorderdetail": ("salesorder", "_salesorderid_value"),
    "invoicedetail": ("invoice", "_invoiceid_value"),
}
HEADERS = {header: (line, column) for line, (header, column) in LINES.items()}

HEADER_INPUTS = {"discountamount", "discountpercentage", "freightamount"}


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else ZERO


def line_amounts(values: dict[str, Any]) -> dict[str, Decimal]:
    base = (_d(values.get("priceperunit")) - _d(values.get("volumediscountamount"))) * _d(
        values.get("quantity")
    )
    base = base.quantize(CENT, ROUND_HALF_UP)
    extended = base - _d(values.get("manualdiscountamount")) + _d(values.get("tax"))
    return {
        "baseamount": base,
        "extendedamount": extended,
        "volumediscountamount": _d(values.get("volumediscountamount")),
    }


def header_totals(header: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    line_discounts = sum((_d(r.get("manualdiscountamount")) for r in lines), ZERO)
    item_amount = sum((_d(r.get("baseamount")) for r in lines), ZERO) - line_discounts
    tax = sum((_d(r.get("tax")) for r in lines), ZERO)
    pct = _d(header.get("discountpercentage"))
    header_discount = _d(header.get("discountamount")) + (item_amount * pct / 100).quantize(
        CENT, ROUND_HALF_UP
    )
    less_freight = item_amount - header_discount
    return {
        "totallineitemdiscountamount": line_discounts,
        "totallineitemamount": item_amount,
        "totaltax": tax,
        "totaldiscountamount": header_discount + line_discounts,
        "totalamountlessfreight": less_freight,
        "totalamount": less_freight + _d(header.get("freightamount")) + tax,
    }


def recompute_header(tx: Tx, header_entity: str, header_id: str) -> None:
    header = tx.get(header_entity, header_id)
    if header is None:
        return
    line_entity, column = HEADERS[header_entity]
    table = tx.model.table(line_entity)
    lines = [
        dict(r)
        for r in tx.conn.execute(
            sa.select(table.c.manualdiscountamount, table.c.baseamount, table.c.tax).where(
                table.c[column] == header_id
            )
        ).mappings()
    ]
    totals = header_totals(header, lines)
    if any(_d(header.get(k)) != v or header.get(k) is None for k, v in totals.items()):
        tx.update(header_entity, header_id, dict(totals), internal=True)
