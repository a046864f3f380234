"""Switching sales order integration on and off (docs/behaviour.md §5.1).

Switched on, the CRM organization's flag lets Sales users submit orders to the back office;
switched off, the flag is cleared. It cannot be switched off while submitted orders wait
to be created in the ERP: they would be stranded, submitted and read-only in the CRM.
"""

from __future__ import annotations

from ...engine.context import Context
from ...engine.errors import ConfigError
from ...engine.ports import RecordPort
from .creation import submitted_orders

FLAG = "issopintegrationenabled"
SHOWN = 5  # order numbers named in the refusal


def set_crm_flag(crm: RecordPort, on: bool) -> None:
    """Sets (or clears) the organization's sales order integration flag in the CRM."""
    organizations = [r for page in crm.query("organizations") for r in page]
    if not organizations:
        raise ConfigError("The CRM has no organization to switch sales order integration on.")
    changes = [(o.id, {FLAG: on}) for o in organizations if o.values.get(FLAG) is not on]
    refused = [r.error for r in crm.update_many("organizations", changes) if not r.ok]
    if refused:
        raise ConfigError(
            "The CRM organization's sales order integration flag could not be "
            f"{'set' if on else 'cleared'}: {refused[0]}"
        )


def check_switch_off(ctx: Context) -> None:
    """Refuses to switch off while CRM orders are submitted and not yet in the ERP."""
    waiting = submitted_orders(ctx)
    if not waiting:
        return
    numbers = [str(r.values.get("ordernumber") or r.id) for r in waiting]
    shown = ", ".join(numbers[:SHOWN]) + (", ..." if len(numbers) > SHOWN else "")
    raise ConfigError(
        f"Sales order integration cannot be switched off while {len(numbers)} order(s) "
        f"submitted in the CRM wait to be created in Business Central ({shown}). Create "
        "them (`couplet orders auto`) or cancel them in the CRM first."
    )
