"""The quote link: an ERP order made from a CRM quote names the ERP quote (§5.2, §6).

When a CRM order carries the quote it was made from, the ERP order gets that quote's
number as *Quote No.* and the ERP quote is archived, as Business Central does. The ERP
quote is the one coupled to the CRM quote, or else the one whose Your Reference is the
CRM quote number (how Business Central finds it).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...engine.context import Context
from ...engine.errors import RecordError
from ...engine.model import Condition, Op, Ref, Row

# The couplings of ERP quotes with CRM quotes (the name of the quote processing job too).
MAPPING = "SALESQUOTE-QUOTE"


def erp_quote_of(ctx: Context, crm_quote_id: str, quote_number: object = None) -> Row | None:
    """The ERP quote coupled to this CRM quote, else the one referring to its number."""
    coupled = ctx.state.couplings_by_crm(MAPPING, [crm_quote_id]).get(crm_quote_id)
    if coupled is not None:
        found = ctx.erp.get_many("salesQuotes", [coupled.erp_id]).get(coupled.erp_id)
        if found is not None:
            return found
    if not quote_number:
        return None
    referring = [
        r
        for page in ctx.erp.query(
            "salesQuotes", filters=(Condition("yourReference", Op.EQ, str(quote_number)),)
        )
        for r in page
    ]
    return referring[0] if referring else None


def archive_quote(ctx: Context, quote: Row) -> None:
    archived = ctx.erp.act("archive", table="salesQuotes", row_id=quote.id)
    if not archived.ok:
        raise RecordError(
            f"The sales quote {quote.values.get('number')} could not be archived: {archived.error}"
        )


def link_to_quote(ctx: Context, order: Row, quote: Row) -> bool:
    """Sets the ERP order's Quote No. to the ERP quote and archives the quote; False when the
    order named that quote already (the link was made before, nothing is archived again)."""
    number = quote.values.get("number")
    if order.values.get("quoteNumber") == number:
        return False
    [written] = ctx.erp.update_many("salesOrders", [(order.id, {"quoteNumber": number})])
    if not written.ok:
        raise RecordError(
            f"The sales order {order.values.get('number')} could not get the quote number "
            f"{number}: {written.error}"
        )
    archive_quote(ctx, quote)
    return True


def link_new_order(ctx: Context, crm_order: Mapping[str, object], order: Row) -> str:
    """The quote link for an ERP order just created from `crm_order`; a note for the
    order's result ("" when the CRM order comes from no quote with an ERP quote)."""
    reference = crm_order.get("quoteid")
    if not isinstance(reference, Ref) or reference.id is None:
        return ""
    crm_quote = ctx.crm.get_many("quotes", [reference.id]).get(reference.id)
    number = crm_quote.values.get("quotenumber") if crm_quote else None
    quote = erp_quote_of(ctx, reference.id, number)
    if quote is None:
        return ""
    try:
        linked = link_to_quote(ctx, order, quote)
    except RecordError as exc:
        return f" The quote link failed: {exc}"
    return f" It refers to sales quote {quote.values.get('number')}." if linked else ""
