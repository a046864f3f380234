"""The mappings whose pages a flow writes itself (`PAGE_STEPS`, handed to the engine's
`Context` by the composition root in place of the runner's generic page step) and the line
mappings that only ever travel with their document (`LINES_WITH_DOCUMENT`: never
synchronized, nor fully synchronized, alone).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..engine.context import PageStep
from .invoices import pages as invoices
from .invoices.lines import LINE_MAPPING

PAGE_STEPS: Mapping[str, PageStep] = {
    invoices.MAPPING: invoices.invoice_page,
    LINE_MAPPING: invoices.lines_page,
}
LINES_WITH_DOCUMENT = frozenset({LINE_MAPPING})
