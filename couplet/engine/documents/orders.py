"""Submitted CRM sales orders become ERP sales orders (integration-behaviour.md §5.2).

Each order is handled on its own: one that fails stays submitted and unmarked, so the next
run (or a person) tries it again; one already handled is recognised by its coupling and
never creates a second ERP order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..context import Context
from ..couplings import new_coupling
from ..errors import RecordError
from ..model import Condition, Direction, JobError, JobLog, Op, Ref, Row
from ..transfer import reference_key

MAPPING = "SALESORDER-ORDER"
SUBMITTED = 1
DESCRIPTION_LENGTH = 100  # Business Central's Sales Line Description
ADDRESS = {
    "line1": "AddressLine1",
    "line2": "AddressLine2",
    "city": "City",
    "postalcode": "PostCode",
    "country": "Country",
    "stateorprovince": "State",
}
OPTIONS = {
    "paymenttermscode": ("PAYMENT TERMS", "paymentTermsId"),
    "freighttermscode": ("SHIPMENT METHOD", "shipmentMethodId"),
    "shippingmethodcode": ("SHIPPING AGENT", "shippingAgentId"),
}
CANNOT = "The sales order cannot be created"


@dataclass
class OrderResult:
    crm_id: str
    erp_id: str | None = None
    erp_number: str | None = None
    message: str = ""
    created: bool = False


@dataclass
class SalesSetup:
    write_in_type: str | None = None
    write_in_number: str | None = None
    freight_account: str | None = None


@dataclass
class _Plan:
    header: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)


def submitted_orders(ctx: Context) -> list[Row]:
    """CRM orders waiting for the back office: submitted and not yet picked up."""
    rows = [
        r
        for page in ctx.crm.query(
            "salesorders", filters=(Condition("statecode", Op.EQ, SUBMITTED),)
        )
        for r in page
    ]
    return [
        r
        for r in rows
        if not r.values.get("lastbackofficesubmit")
        or str(r.values["lastbackofficesubmit"]).startswith("1900-01-01")
    ]


def create_orders(
    ctx: Context, crm_ids: Sequence[str], setup: SalesSetup
) -> tuple[JobLog, list[OrderResult]]:
    """Creates ERP orders for these CRM orders; one job logs them all."""
    job = JobLog(ctx.ids(), MAPPING, Direction.CRM_TO_ERP, ctx.clock())
    results = []
    orders = ctx.crm.get_many("salesorders", list(crm_ids))
    for crm_id in crm_ids:
        result = OrderResult(crm_id)
        try:
            row = orders.get(crm_id)
            if row is None:
                raise RecordError(f"{CANNOT}: the CRM order {crm_id} does not exist.")
            _create_one(ctx, row, setup, result)
        except RecordError as exc:
            result.message = str(exc)
            job.failed += 1
            ctx.state.add_errors([JobError(job.id, MAPPING, crm_id, None, str(exc), ctx.clock())])
        else:
            if result.created:
                job.inserted += 1
            else:
                job.unchanged += 1
        results.append(result)
    job.finished_at = ctx.clock()
    if job.failed:
        job.message = f"{job.failed} order(s) could not be created; see the job's errors."
    ctx.state.save_job(job)
    return job, results


def _create_one(ctx: Context, order: Row, setup: SalesSetup, result: OrderResult) -> None:
    v = order.values
    if v.get("statecode") != SUBMITTED:
        raise RecordError(f"{CANNOT}: the CRM order {v.get('ordernumber')} is not submitted.")
    coupling = ctx.state.couplings_by_crm(MAPPING, [order.id]).get(order.id)
    if coupling is not None:
        existing = ctx.erp.get_many("salesOrders", [coupling.erp_id]).get(coupling.erp_id)
        if existing is not None:
            result.erp_id, result.erp_number = existing.id, str(existing.values.get("number"))
            result.message = f"The order is already coupled to sales order {result.erp_number}."
            return
        invoices = [
            r
            for page in ctx.erp.query(
                "salesInvoices",
                filters=(Condition("yourReference", Op.EQ, str(v.get("ordernumber") or "")),),
            )
            for r in page
        ]
        if invoices:
            result.message = (
                f"The order is already posted as invoice {invoices[0].values.get('number')}."
            )
            return
        ctx.state.delete_couplings([coupling.id])  # the ERP order is gone: make it again
    plan = _Plan(_header(ctx, order))
    lines = [
        r
        for page in ctx.crm.query(
            "salesorderdetails", filters=(Condition("salesorderid", Op.EQ, order.id),)
        )
        for r in page
    ]
    lines.sort(key=lambda r: (r.values.get("sequencenumber") or 0, r.id))
    for line in lines:
        plan.lines += _lines(ctx, order, line, setup, len(plan.lines))
    freight = Decimal(str(v.get("freightamount") or 0))
    if freight:
        if not setup.freight_account:
            raise RecordError(
                "Freight G/L Acc. No. must have a value in Sales & Receivables Setup."
            )
        plan.lines.append(
            {
                "sequence": (len(plan.lines) + 1) * 10000,
                "lineType": "Account",
                "lineObjectNumber": setup.freight_account,
                "description": "Freight",
                "quantity": 1,
                "unitPrice": freight,
            }
        )
    if Decimal(str(v.get("discountamount") or 0)) or Decimal(str(v.get("discountpercentage") or 0)):
        plan.header["discountAmount"] = Decimal(str(v.get("totallineitemamount") or 0)) - Decimal(
            str(v.get("totalamountlessfreight") or 0)
        )
    [written] = ctx.erp.insert_many("salesOrders", [{**plan.header, "salesOrderLines": plan.lines}])
    if not written.ok or written.row is None:
        raise RecordError(f"{CANNOT}: the ERP refused it: {written.error}")
    erp_order = written.row
    ctx.state.save_couplings([new_coupling(ctx.ids(), MAPPING, erp_order.id, order.id)])
    result.erp_id, result.erp_number = erp_order.id, str(erp_order.values.get("number"))
    result.created = True
    result.message = f"Sales order {result.erp_number} created."
    # The CRM order stays submitted; the date tells Sales the back office has it.
    [marked] = ctx.crm.update_many(
        "salesorders", [(order.id, {"lastbackofficesubmit": ctx.clock().date()})]
    )
    if not marked.ok:
        result.message += f" (the CRM order could not be marked: {marked.error})"


def _header(ctx: Context, order: Row) -> dict[str, Any]:
    v = order.values
    header: dict[str, Any] = {
        "customerId": _customer(ctx, v.get("customerid")),
        "externalDocumentNumber": str(v.get("name") or "")[:35],
        "yourReference": str(v.get("ordernumber") or "")[:35],
    }
    currency = reference_key(v.get("transactioncurrencyid"))
    if currency and currency != ctx.blanks.get("CURRENCY"):
        coupled = ctx.state.couplings_by_crm("CURRENCY", [currency]).get(currency)
        if coupled is None:
            raise RecordError(f"{CANNOT}: its currency is not coupled to an ERP currency.")
        header["currencyId"] = coupled.erp_id
    if v.get("requestdeliveryby"):
        header["requestedDeliveryDate"] = str(v["requestdeliveryby"])[:10]
    for side, prefix in (("billto", "billTo"), ("shipto", "shipTo")):
        parts = {key: v.get(f"{side}_{key}") for key in ADDRESS}
        if any(parts.values()):  # only when at least one field is given, as BC does
            for key, suffix in ADDRESS.items():
                header[f"{prefix}{suffix}"] = str(parts[key] or "")
            if side == "shipto" and v.get("shipto_name"):
                header["shipToName"] = str(v["shipto_name"])
    for attribute, (mapping, target) in OPTIONS.items():
        value = v.get(attribute)
        if value is not None:
            coupled = ctx.state.couplings_by_crm(mapping, [str(value)]).get(str(value))
            if coupled is not None:
                header[target] = coupled.erp_id
    if v.get("discountpercentage"):
        header["paymentDiscountPercent"] = v["discountpercentage"]
    if v.get("description"):
        header["workDescription"] = str(v["description"])
    return header


def _customer(ctx: Context, reference: object) -> str:
    if not isinstance(reference, Ref) or reference.id is None:
        raise RecordError(f"{CANNOT}: the order has no potential customer.")
    account_id = reference.id
    if reference.table == "contacts":
        contact = ctx.crm.get_many("contacts", [reference.id]).get(reference.id)
        parent = contact.values.get("parentcustomerid") if contact else None
        if not isinstance(parent, Ref) or parent.table != "accounts" or parent.id is None:
            raise RecordError(f"{CANNOT}: the order's customer does not correspond to an account.")
        account_id = parent.id
    elif reference.table != "accounts":
        raise RecordError(f"{CANNOT}: the order's customer does not correspond to an account.")
    account = ctx.crm.get_many("accounts", [account_id]).get(account_id)
    if account is None or account.values.get("customertypecode") != 3:
        raise RecordError(f"{CANNOT}: the account is not of the type customer.")
    coupled = ctx.state.couplings_by_crm("CUSTOMER", [account_id]).get(account_id)
    if coupled is None:
        raise RecordError(
            f"{CANNOT}: there is no customer coupled to the account {account.values.get('name')}."
        )
    return coupled.erp_id


def _lines(
    ctx: Context, order: Row, line: Row, setup: SalesSetup, before: int
) -> list[dict[str, Any]]:
    v = line.values
    sequence = (before + 1) * 10000
    product = v.get("productid")
    quantity = Decimal(str(v.get("quantity") or 0))
    discount = quantity * Decimal(str(v.get("volumediscountamount") or 0)) + Decimal(
        str(v.get("manualdiscountamount") or 0)
    )
    base: dict[str, Any] = {
        "sequence": sequence,
        "quantity": quantity,
        "unitPrice": Decimal(str(v.get("priceperunit") or 0)),
        "discountAmount": discount,
    }
    text = str(v.get("description") or v.get("productdescription") or "")
    if not isinstance(product, Ref) or product.id is None:
        if not setup.write_in_number or not setup.write_in_type:
            raise RecordError(
                f"The sales order {order.values.get('ordernumber')} contains a "
                "write-in product; choose the default write-in product in "
                "Sales & Receivables Setup."
            )
        base.update(lineType=setup.write_in_type, lineObjectNumber=setup.write_in_number)
    else:
        base.update(_product(ctx, product.id))
        text = text or str(base.pop("_name", ""))
    base.pop("_name", None)
    chunks = [text[i : i + DESCRIPTION_LENGTH] for i in range(0, len(text), DESCRIPTION_LENGTH)]
    if chunks:
        base["description"] = chunks[0]
    # The rest of a long description continues on comment lines attached to this one.
    comments = [
        {
            "sequence": sequence + i,
            "lineType": "Comment",
            "description": chunk,
            "attachedToSequence": sequence,
        }
        for i, chunk in enumerate(chunks[1:], 1)
    ]
    return [base, *comments]


def _product(ctx: Context, product_id: str) -> dict[str, Any]:
    product = ctx.crm.get_many("products", [product_id]).get(product_id)
    if product is None:
        raise RecordError(f"The product {product_id} does not exist in the CRM.")
    if product.values.get("statecode") != 0:
        raise RecordError(
            f"Status must be equal to 'Active' in product {product.values.get('productnumber')}."
        )
    kinds = {1: ("ITEM-PRODUCT", "items", "Item"), 3: ("RESOURCE-PRODUCT", "resources", "Resource")}
    kind = product.values.get("producttypecode")
    if kind not in kinds:
        raise RecordError(
            f"The product {product.values.get('productnumber')} has an unexpected product type."
        )
    mapping, table, line_type = kinds[kind]
    coupled = ctx.state.couplings_by_crm(mapping, [product_id]).get(product_id)
    if coupled is None:
        noun = "an item" if line_type == "Item" else "a resource"
        raise RecordError(
            f"The product {product.values.get('productnumber')} is not coupled to {noun}."
        )
    erp = ctx.erp.get_many(table, [coupled.erp_id]).get(coupled.erp_id)
    if erp is None:
        raise RecordError(
            f"The {line_type.lower()} coupled to product "
            f"{product.values.get('productnumber')} does not exist."
        )
    return {
        "lineType": line_type,
        "lineObjectNumber": erp.values.get("number"),
        "_name": product.values.get("name"),
    }


def read_sales_setup(rows: Sequence[Mapping[str, object]]) -> SalesSetup:
    if not rows:
        return SalesSetup()
    row = rows[0]
    return SalesSetup(
        write_in_type=_text(row.get("writeInProductType")),
        write_in_number=_text(row.get("writeInProductNumber")),
        freight_account=_text(row.get("freightAccountNumber")),
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
