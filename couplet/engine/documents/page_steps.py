"""The mappings whose pages a document module writes itself (`PAGE_STEPS`, used by the
runner instead of its generic page step) and the line mappings that only ever travel with
their document (`LINES_WITH_DOCUMENT`: never synchronized, nor fully synchronized, alone).

Kept apart from the flow registry: the runner needs these, and flows need the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..context import Context
from ..model import JobLog, Row, TableMapping
from ..plan import PassSettings
from . import invoices
from .invoice_lines import LINE_MAPPING

PageStep = Callable[[Context, JobLog, PassSettings, Sequence[Row]], None]
PAGE_STEPS: dict[str, PageStep] = {
    invoices.MAPPING: invoices.invoice_page,
    LINE_MAPPING: invoices.lines_page,
}
LINES_WITH_DOCUMENT = frozenset({LINE_MAPPING})


def page_step(mapping: TableMapping) -> PageStep | None:
    """The document module's page step for this mapping (or the clone of one), if any."""
    return PAGE_STEPS.get(mapping.parent or mapping.name)
