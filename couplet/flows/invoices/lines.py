"""CRM invoice lines built from the lines of a posted ERP invoice (§7.1, the mapping with the
role posted-invoice-line).

An item or resource line (a product kind of the catalogue's `[document.products]`) becomes a
line for the coupled CRM product in the coupled unit (the product's default unit without
one); a line for anything else (a G/L account, a charge) is a write-in line "<No.>
<Description>.". Amounts come through the line mapping's fields; the tax is what the line
adds on top of its amount. Every problem is found before anything is written, so an invoice
is created whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...engine import roles
from ...engine.context import Context
from ...engine.errors import RecordError
from ...engine.manual import create_in
from ...engine.model import Condition, Coupling, Direction, Op, Ref, Row, Side, TableMapping
from ...engine.roles import Role
from ...engine.schema import ProductKind
from ...engine.transfer import Translations, transfer

CENT = Decimal("0.01")
NO_AMOUNT = ("Comment", "", None)


def _d(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


@dataclass
class LinePlan:
    """The CRM lines of one invoice, ready to write once the header exists."""

    lines: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (ERP line id, values)
    # (CRM product id, CRM unit id or None, unit price) for the price list items to ensure
    prices: list[tuple[str, str | None, Decimal]] = field(default_factory=list)


def invoice_lines(ctx: Context, document_ids: Sequence[str]) -> dict[str, list[Row]]:
    """The lines of these ERP invoices, each invoice's in sequence order."""
    found: dict[str, list[Row]] = {i: [] for i in document_ids}
    for start in range(0, len(document_ids), ctx.page_size):
        chunk = tuple(document_ids[start : start + ctx.page_size])
        for page in ctx.erp.query(
            "salesInvoiceLines", filters=(Condition("documentId", Op.IN, chunk),)
        ):
            for row in page:
                found.setdefault(str(row.values.get("documentId")), []).append(row)
    for rows in found.values():
        rows.sort(key=lambda r: int(str(r.values.get("sequence") or 0)))
    return found


def plan_lines(ctx: Context, invoice: Row, lines: Sequence[Row]) -> LinePlan:
    """The CRM lines of `invoice`; RecordError names the first line that cannot go."""
    mapping = ctx.by_role(Role.POSTED_INVOICE_LINE)
    translations = Translations.load(ctx.state, mapping, Direction.ERP_TO_CRM, lines, ctx.blanks)
    prices_include_tax = bool(invoice.values.get("pricesIncludeTax"))
    plan = LinePlan()
    for number, line in enumerate(lines, 1):
        v = line.values
        if v.get("lineType") in NO_AMOUNT:
            continue  # comment lines carry no amount and have no CRM counterpart
        values = dict(
            transfer(mapping, Direction.ERP_TO_CRM, line, translations, ctx.mappings).values
        )
        net, gross = _d(v.get("netAmount")), _d(v.get("netAmountIncludingTax"))
        values.update(
            tax=gross - net,
            lineitemnumber=int(str(v.get("sequence") or 0)),
            sequencenumber=number,
        )
        if prices_include_tax and _d(v.get("taxPercent")):
            # The CRM line price is net of tax: the tax is a line amount of its own there.
            rate = 1 + _d(v.get("taxPercent")) / 100
            values["priceperunit"] = (_d(v.get("unitPrice")) / rate).quantize(CENT, ROUND_HALF_UP)
        product = _product(ctx, invoice, line)
        if product is None:
            values["productdescription"] = (
                f"{v.get('lineObjectNumber') or ''} {v.get('description') or ''}.".strip()
            )
        else:
            product_id, unit_id = product
            values["productid"] = Ref("products", product_id)
            if unit_id is not None:
                values["uomid"] = Ref("uoms", unit_id)
            if _d(values.get("priceperunit")) > 0:
                plan.prices.append((product_id, unit_id, _d(values.get("priceperunit"))))
        plan.lines.append((line.id, values))
    return plan


def _product(ctx: Context, invoice: Row, line: Row) -> tuple[str, str | None] | None:
    """(CRM product, CRM unit) of an item or resource line; None for other lines."""
    v = line.values
    kinds = {k.line_type: k for k in ctx.documents.product_kinds()}
    kind = str(v.get("lineType"))
    if kind not in kinds:
        return None
    product = kinds[kind]
    erp_id = str(v.get("itemId") or "") if kind == "Item" else ""
    if not erp_id:
        found = [
            r
            for page in ctx.erp.query(
                product.erp_table,
                filters=(Condition("number", Op.EQ, v.get("lineObjectNumber")),),
            )
            for r in page
        ]
        erp_id = found[0].id if found else ""
    record = ctx.erp.get_many(product.erp_table, [erp_id]).get(erp_id) if erp_id else None
    shown = f"{kind.lower()} {v.get('lineObjectNumber')}"
    if record is None:
        raise RecordError(f"The {shown} on invoice {invoice.values.get('number')} does not exist.")
    if record.values.get("blocked") is True:
        raise RecordError(
            f"The {shown} is blocked; the invoice {invoice.values.get('number')} cannot be "
            "created in the CRM."
        )
    mapping = roles.find(ctx.mappings, product.role)
    coupling = ctx.state.couplings_by_erp(mapping.name, [erp_id]).get(erp_id) if mapping else None
    if coupling is None:
        coupling, reason = _product_on_the_fly(ctx, mapping, product.role, erp_id)
        if coupling is None:
            raise RecordError(
                f"Cannot synchronize the product: the {shown} is not coupled to a CRM "
                f"product and could not be created there ({reason}), so the invoice "
                f"{invoice.values.get('number')} cannot be created."
            )
    return coupling.crm_id, _unit(ctx, product, erp_id, v, coupling.crm_id)


def _product_on_the_fly(
    ctx: Context, mapping: TableMapping | None, role: Role, erp_id: str
) -> tuple[Coupling | None, str]:
    """Creates and couples the CRM product of an uncoupled item or resource through its
    mapping (within the mapping's filter), as Business Central does for invoice lines."""
    if mapping is None:
        return None, f"there is no {role.value} mapping"
    within = (*mapping.erp_filter, Condition("id", Op.EQ, erp_id))
    if not ctx.erp.count(mapping.erp_table, within):
        return None, f"it is outside the {mapping.name} mapping's filter"
    jobs, _ = create_in(ctx, mapping.name, Side.CRM, [erp_id])
    errors = [e.message for job in jobs for e in ctx.state.job_errors(job.id)]
    coupling = ctx.state.couplings_by_erp(mapping.name, [erp_id]).get(erp_id)
    return coupling, errors[0] if errors else "it was not created"


def _unit(
    ctx: Context, kind: ProductKind, erp_id: str, line: Mapping[str, object], product_id: str
) -> str | None:
    """The CRM unit: the one coupled to the line's unit of this item or resource when unit
    groups are synchronized, else the product's default unit."""
    code = line.get("unitOfMeasureCode")
    unit_mapping = roles.find(ctx.mappings, kind.unit_role)
    if code and unit_mapping is not None:
        units = [
            r
            for page in ctx.erp.query(
                kind.unit_table,
                filters=(
                    Condition(kind.owner_field, Op.EQ, erp_id),
                    Condition("code", Op.EQ, code),
                ),
            )
            for r in page
        ]
        if units:
            coupled = ctx.state.couplings_by_erp(unit_mapping.name, [units[0].id]).get(units[0].id)
            if coupled is not None:
                return coupled.crm_id
    product = ctx.crm.get_many("products", [product_id]).get(product_id)
    unit = product.values.get("defaultuomid") if product else None
    return unit.id if isinstance(unit, Ref) else None


def ensure_prices(
    ctx: Context, price_list: str, prices: Sequence[tuple[str, str | None, Decimal]]
) -> None:
    """Adds the invoice's products to its price list when they are not on it yet."""
    seen: set[tuple[str, str | None]] = set()
    for product_id, unit_id, price in prices:
        if (product_id, unit_id) in seen:
            continue
        seen.add((product_id, unit_id))
        filters = [
            Condition("pricelevelid", Op.EQ, price_list),
            Condition("productid", Op.EQ, product_id),
        ]
        if unit_id is not None:
            filters.append(Condition("uomid", Op.EQ, unit_id))
        if ctx.crm.count("productpricelevels", tuple(filters)):
            continue
        item: dict[str, object] = {
            "pricelevelid": Ref("pricelevels", price_list),
            "productid": Ref("products", product_id),
            "amount": price,
        }
        if unit_id is not None:
            item["uomid"] = Ref("uoms", unit_id)
        [result] = ctx.crm.insert_many("productpricelevels", [item])
        if not result.ok:
            raise RecordError(
                f"The product could not be added to the invoice's price list: {result.error}"
            )
