"""The posted invoice actions: list posted ERP invoices, create their CRM invoices."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.model import JobLog
from ..flows.invoices import posted
from .context import context
from .parts import Parts


def listing(parts: Parts) -> list[dict[str, object]]:
    """Posted ERP invoices and their CRM invoices."""
    return posted.invoice_listing(context(parts))


def create_in_crm(
    parts: Parts, numbers: Sequence[str]
) -> tuple[list[JobLog], list[posted.InvoiceResult]]:
    """Creates CRM invoices for the posted invoices with these numbers."""
    return posted.create_in_crm(context(parts), numbers)
