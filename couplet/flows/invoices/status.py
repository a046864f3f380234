"""The payment status of CRM invoices, from their ERP customer ledger entries (§7.1, §9).

Nothing left to pay makes the CRM invoice Paid/Complete, part of it paid Paid/Partial, none
of it paid Active/Billed. The CRM keeps a paid invoice read-only, so a closed invoice is
reactivated first and then set to its new state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ...engine.context import Context
from ...engine.model import Condition, Op, Row

ACTIVE, PAID = 0, 2
BILLED, COMPLETE, PARTIAL = 4, 100001, 100002
STATE_NAMES = {(ACTIVE, BILLED): "Active/Billed", (PAID, COMPLETE): "Paid/Complete"}
STATE_NAMES[(PAID, PARTIAL)] = "Paid/Partial"


def _money(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def payment_state(amount: object, remaining: object) -> tuple[int, int]:
    """(statecode, statuscode) of a CRM invoice whose ledger entry has these amounts."""
    left = _money(remaining)
    if left == 0:
        return PAID, COMPLETE
    if left != _money(amount):
        return PAID, PARTIAL
    return ACTIVE, BILLED


def state_steps(current: tuple[int, int], target: tuple[int, int]) -> list[dict[str, int]]:
    """The writes that take a CRM invoice from `current` to `target` (none when there).

    Anything but Active is closed for writes, so it is reactivated (Active/Billed) first.
    """
    if current == target:
        return []
    steps = []
    if current[0] != ACTIVE:
        steps.append({"statecode": ACTIVE, "statuscode": BILLED})
    if target != (ACTIVE, BILLED) or current[0] == ACTIVE:
        steps.append({"statecode": target[0], "statuscode": target[1]})
    return steps


@dataclass
class StatusOutcome:
    """What refreshing the status of some invoices did."""

    changed: list[str] = field(default_factory=list)  # ERP invoice ids whose CRM state moved
    # ERP invoice id -> (CRM invoice id, why its status could not be set)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)


def ledger_entries(ctx: Context, invoice_ids: Sequence[str]) -> dict[str, Row]:
    """The customer ledger entries of these posted invoices, by invoice id."""
    found: dict[str, Row] = {}
    ids = list(dict.fromkeys(invoice_ids))
    for start in range(0, len(ids), ctx.page_size):
        chunk = tuple(ids[start : start + ctx.page_size])
        for page in ctx.erp.query(
            "customerLedgerEntries", filters=(Condition("invoiceId", Op.IN, chunk),)
        ):
            for entry in page:
                found[str(entry.values.get("invoiceId"))] = entry
    return found


def refresh_status(
    ctx: Context,
    crm_invoices: Mapping[str, Row],
    *,
    only_active: bool,
) -> StatusOutcome:
    """Sets each CRM invoice (keyed by its ERP invoice id) to the state its ledger entry
    calls for. `only_active` leaves closed invoices alone (the invoice job does; the
    statistics job reactivates them)."""
    outcome = StatusOutcome()
    entries = ledger_entries(ctx, list(crm_invoices))
    for erp_id, crm in crm_invoices.items():
        entry = entries.get(erp_id)
        current = (
            int(str(crm.values.get("statecode") or 0)),
            int(str(crm.values.get("statuscode") or 0)),
        )
        if entry is None or (only_active and current[0] != ACTIVE):
            continue
        target = payment_state(entry.values.get("amount"), entry.values.get("remainingAmount"))
        steps = state_steps(current, target)
        for step in steps:
            [result] = ctx.crm.update_many("invoices", [(crm.id, step)])
            if not result.ok:
                outcome.errors[erp_id] = (
                    crm.id,
                    f"The status of CRM invoice {crm.values.get('invoicenumber')} could not "
                    f"be set to {STATE_NAMES[target]}: {result.error}",
                )
                break
        else:
            if steps:
                outcome.changed.append(erp_id)
    return outcome
