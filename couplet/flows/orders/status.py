"""The sales order status job (docs/behaviour.md §5.3; §1.4 "Sales Order Status",
every 7 minutes): what happens to coupled orders in the ERP shows in the CRM.

- Timeline posts on the CRM order when the ERP order is released, for each shipment and
  for each invoice posted from it; on the account's timeline a notice for each invoice and
  one when the whole order has been posted.
- A coupled order fully invoiced (the ERP deletes it, its posted invoices remain) sets the
  CRM order to Invoiced and its coupling is removed, so that happens exactly once.

Every post is remembered (a coupling of the pseudo mapping `ORDER POSTS`: the event's key
on the ERP side, the post on the CRM side), so running the job again posts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...engine.context import Context
from ...engine.couplings import new_coupling
from ...engine.model import Condition, Coupling, Direction, JobLog, Op, Ref, Row
from ..flow import Flow
from .coupled import changed_since_run, record_failure, rows_by_parent, run_over_orders

NAME = "SALES ORDER STATUS"
POSTS = "ORDER POSTS"
INVOICED = {"statecode": 4, "statuscode": 100003}
AUTO_POST, STATUS_POST = 1, 7
SYSTEM = "Business Central"
CURSOR = "order-status:last-run"


@dataclass(frozen=True)
class _Post:
    key: str  # what happened, e.g. "shipment:<id>": posted once per key
    regarding: Ref
    text: str
    erp_id: str  # the ERP order, for errors


@dataclass
class _Order:
    coupling: Coupling
    crm: Row
    erp: Row | None
    shipments: list[Row]
    invoices: list[Row]

    @property
    def fully_invoiced(self) -> bool:
        # Business Central deletes an order once everything on it is invoiced.
        return self.erp is None and bool(self.invoices)


def run_status(ctx: Context) -> JobLog:
    """One run over every coupled order: posts (inserted), orders set Invoiced (modified),
    couplings of orders gone from the ERP removed (uncoupled)."""
    return run_over_orders(ctx, NAME, Direction.ERP_TO_CRM, CURSOR, _chunk)


def _chunk(ctx: Context, job: JobLog, couplings: Sequence[Coupling]) -> None:
    erp_ids = [c.erp_id for c in couplings]
    erp_orders = ctx.erp.get_many("salesOrders", erp_ids)
    crm_orders = ctx.crm.get_many("salesorders", [c.crm_id for c in couplings])
    shipments = rows_by_parent(ctx.erp, "salesShipments", "orderId", erp_ids)
    invoices = rows_by_parent(ctx.erp, "salesInvoices", "orderId", erp_ids)
    orders, gone = [], []
    for c in couplings:
        crm = crm_orders.get(c.crm_id)
        if crm is None:  # deleted in the CRM: nothing to tell, and no error
            if c.erp_id not in erp_orders:
                gone.append(c.id)
            continue
        erp = erp_orders.get(c.erp_id)
        order = _Order(c, crm, erp, shipments.get(c.erp_id, []), invoices.get(c.erp_id, []))
        if erp is None and not order.invoices:
            gone.append(c.id)  # deleted in the ERP without being invoiced
            continue
        orders.append(order)
    accounts = _accounts(ctx, [o.crm for o in orders])
    posts = [p for o in orders for p in _posts(o, accounts.get(o.crm.id))]
    _write_posts(ctx, job, posts)
    gone += _set_invoiced(ctx, job, [o for o in orders if o.fully_invoiced])
    if gone:
        ctx.state.delete_couplings(gone)
        job.uncoupled += len(gone)


def _posts(order: _Order, account: str | None) -> list[_Post]:
    """Every event of the order so far, oldest first (those posted before are dropped
    later by their keys)."""
    on_order = Ref("salesorders", order.crm.id)
    number = order.crm.values.get("ordernumber")
    erp_id = order.coupling.erp_id
    posts = []
    # Posting releases an order first, so shipments and invoices mean it was released.
    if (
        (order.erp and order.erp.values.get("status") == "Open")
        or order.shipments
        or (order.invoices)
    ):
        posts.append(
            _Post(f"released:{erp_id}", on_order, "Order status changed to Released.", erp_id)
        )
    for shipment in order.shipments:
        text = f"A shipment ({shipment.values.get('number')}) has been created for the order."
        posts.append(_Post(f"shipment:{shipment.id}", on_order, text, erp_id))
    for invoice in order.invoices:
        no = invoice.values.get("number")
        text = f"An invoice ({no}) has been created for the order."
        posts.append(_Post(f"invoice:{invoice.id}", on_order, text, erp_id))
        if account:
            text = f"Invoice '{no}' for order '{number}' has been posted in {SYSTEM}."
            posts.append(
                _Post(f"account-invoice:{invoice.id}", Ref("accounts", account), text, erp_id)
            )
    if order.fully_invoiced and account:
        text = f"Order '{number}' has been posted in {SYSTEM}."
        posts.append(_Post(f"posted:{erp_id}", Ref("accounts", account), text, erp_id))
    return posts


def _write_posts(ctx: Context, job: JobLog, posts: list[_Post]) -> None:
    done = ctx.state.couplings_by_erp(POSTS, [p.key for p in posts]) if posts else {}
    new = [p for p in posts if p.key not in done]
    if not new:
        return
    results = ctx.crm.insert_many(
        "posts",
        [
            {
                "text": p.text,
                "source": AUTO_POST,
                "type": STATUS_POST,
                "regardingobjectid": p.regarding,
            }
            for p in new
        ],
    )
    remembered = []
    for post, result in zip(new, results, strict=True):
        if result.ok and result.row is not None:
            remembered.append(new_coupling(ctx.ids(), POSTS, post.key, result.row.id))
            job.inserted += 1
        else:
            message = f"The timeline post '{post.text}' could not be written: {result.error}"
            record_failure(ctx, job, post.erp_id, post.regarding.id, message)
    ctx.state.save_couplings(remembered)


def _set_invoiced(ctx: Context, job: JobLog, orders: list[_Order]) -> list[str]:
    """Sets fully invoiced orders Invoiced; returns the couplings done with."""
    due = [o for o in orders if o.crm.values.get("statecode") != INVOICED["statecode"]]
    results = ctx.crm.update_many("salesorders", [(o.crm.id, INVOICED) for o in due])
    failed = set()
    for order, result in zip(due, results, strict=True):
        if result.ok:
            job.modified += 1
        else:
            failed.add(order.coupling.id)
            message = (
                f"The CRM order {order.crm.values.get('ordernumber')} could not be set to "
                f"Invoiced: {result.error}"
            )
            record_failure(ctx, job, order.coupling.erp_id, order.crm.id, message)
    return [o.coupling.id for o in orders if o.coupling.id not in failed]


def _accounts(ctx: Context, orders: Sequence[Row]) -> dict[str, str]:
    """CRM order id -> the account whose timeline hears about it (a contact customer's
    parent account); orders whose account is gone have none."""
    wanted: dict[str, str] = {}
    via_contact: dict[str, str] = {}
    for order in orders:
        customer = order.values.get("customerid")
        if isinstance(customer, Ref) and customer.id:
            if customer.table == "accounts":
                wanted[order.id] = customer.id
            elif customer.table == "contacts":
                via_contact[order.id] = customer.id
    if via_contact:
        contacts = ctx.crm.get_many("contacts", list(set(via_contact.values())))
        for order_id, contact_id in via_contact.items():
            contact = contacts.get(contact_id)
            parent = contact.values.get("parentcustomerid") if contact else None
            if isinstance(parent, Ref) and parent.table == "accounts" and parent.id:
                wanted[order_id] = parent.id
    existing = ctx.crm.get_many("accounts", list(set(wanted.values()))) if wanted else {}
    return {o: a for o, a in wanted.items() if a in existing}


def has_work(ctx: Context) -> bool:
    released = (Condition("status", Op.EQ, "Open"),)
    return changed_since_run(
        ctx,
        CURSOR,
        (
            (ctx.erp, "salesOrders", released),
            (ctx.erp, "salesShipments", ()),
            (ctx.erp, "salesInvoices", ()),
        ),
    )


FLOW = Flow(
    name=NAME,
    kind="order-status",
    description="Sales order status: timeline posts and invoiced orders in the CRM",
    enabled=lambda features: features.sales_order_integration,
    run=run_status,
    has_work=has_work,
    interval_seconds=7 * 60,
    inactivity_timeout_minutes=7,
)
