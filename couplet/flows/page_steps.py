"""The mappings (by role) whose pages a flow writes itself (`PAGE_STEPS`, handed to the engine's
`Context` by the composition root in place of the runner's generic page step) and the line
mappings that only ever travel with their document (`LINES_WITH_DOCUMENT`: never
synchronized, nor fully synchronized, alone).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..engine.context import PageStep
from ..engine.roles import Role
from .invoices import pages as invoices

# By role, so a renamed invoice mapping keeps its page step.
PAGE_STEPS: Mapping[Role, PageStep] = {
    Role.POSTED_INVOICE: invoices.invoice_page,
    Role.POSTED_INVOICE_LINE: invoices.lines_page,
}
LINES_WITH_DOCUMENT = frozenset({Role.POSTED_INVOICE_LINE})
