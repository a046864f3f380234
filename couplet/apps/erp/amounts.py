"""Money arithmetic of sales documents, with Business Central's meaning of each amount.

line:    gross = round(quantity x unitPrice)
         discountAmount = round(gross x discountPercent / 100) when a percent is set
         amountExcludingTax = gross - discountAmount            (before invoice discount)
         totalTaxAmount = round(amountExcludingTax x taxPercent / 100)
         invoiceDiscountAllocation = the line's share of the header's discountAmount
         netAmount = amountExcludingTax - invoiceDiscountAllocation
         netTaxAmount = round(netAmount x taxPercent / 100)
header:  totalAmountExcludingTax = sum of netAmount, totalTaxAmount = sum of netTaxAmount
All money is Decimal rounded to cents (half up), as BC rounds to the currency's precision.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal(0)
AMOUNT_LINES = ("Item", "Resource", "Account", "Charge", "Fixed Asset")


def d(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None and value != "" else ZERO


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def line_amounts(line: dict[str, Any], *, percent_wins: bool) -> dict[str, Decimal]:
    """The amounts of one line before the invoice discount is allocated.

    `percent_wins` says whether the discount percent was given (then it sets the amount)
    or the discount amount was (then the percent follows from it).
    """
    if line.get("lineType") not in AMOUNT_LINES:
        return {
            k: ZERO
            for k in (
                "discountAmount",
                "amountExcludingTax",
                "totalTaxAmount",
                "amountIncludingTax",
            )
        } | {"discountPercent": ZERO}
    gross = r2(d(line.get("quantity")) * d(line.get("unitPrice")))
    percent = d(line.get("discountPercent"))
    amount = d(line.get("discountAmount"))
    if percent_wins:
        amount = r2(gross * percent / 100)
    elif gross:
        percent = (amount / gross * 100).quantize(Decimal("0.00001"), ROUND_HALF_UP)
    else:
        amount, percent = ZERO, ZERO
    excl = gross - amount
    tax = r2(excl * d(line.get("taxPercent")) / 100)
    return {
        "discountAmount": amount,
        "discountPercent": percent,
        "amountExcludingTax": excl,
        "totalTaxAmount": tax,
        "amountIncludingTax": excl + tax,
    }


def allocate(discount: Decimal, bases: list[Decimal]) -> list[Decimal]:
    """Splits an invoice discount over lines in proportion to their amounts; the last
    line with an amount takes the rounding remainder so the parts add up exactly."""
    total = sum(bases, ZERO)
    if not discount or not total:
        return [ZERO for _ in bases]
    shares = [r2(discount * b / total) for b in bases]
    last = max(i for i, b in enumerate(bases) if b)
    shares[last] += discount - sum(shares, ZERO)
    return shares


def net_amounts(line: dict[str, Any], allocation: Decimal) -> dict[str, Decimal]:
    net = d(line.get("amountExcludingTax")) - allocation
    tax = r2(net * d(line.get("taxPercent")) / 100)
    return {
        "invoiceDiscountAllocation": allocation,
        "netAmount": net,
        "netTaxAmount": tax,
        "netAmountIncludingTax": net + tax,
    }


def header_totals(lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    excl = sum((d(x.get("netAmount")) for x in lines), ZERO)
    tax = sum((d(x.get("netTaxAmount")) for x in lines), ZERO)
    return {
        "totalAmountExcludingTax": excl,
        "totalTaxAmount": tax,
        "totalAmountIncludingTax": excl + tax,
    }


def share(amount: Any, part: Any, whole: Any) -> Decimal:
    """`amount` x part / whole, rounded: the slice of a line amount for part of its quantity."""
    if not d(whole):
        return ZERO
    return r2(d(amount) * d(part) / d(whole))
