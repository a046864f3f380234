"""What every engine operation works with: the two systems, the state, the clock, the mappings.

Built once by the composition root (or a test) and passed to the runner, matching, full
synchronization and the manual actions, so none of them reaches for globals or the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .connection import Features
from .errors import UnknownMappingError
from .model import JobLog, Row, Side, TableMapping
from .plan import PassSettings
from .ports import Clock, OptionPort, RecordPort, StatePort

# Writes one page of a mapping whose rows a flow transfers itself (posted invoices with their
# lines), in place of the runner's generic page step.
PageStep = Callable[["Context", JobLog, PassSettings, Sequence[Row]], None]


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Context:
    erp: RecordPort
    crm: RecordPort
    state: StatePort
    clock: Clock
    mappings: Mapping[str, TableMapping]
    options: OptionPort | None = None
    # Rows per page read from a system; also the size of each bulk write.
    page_size: int = 500
    ids: Callable[[], str] = field(default=new_id)
    # related mapping -> CRM id standing for a blank ERP reference (see transfer.Translations)
    blanks: Mapping[str, str] = field(default_factory=dict)
    # Told after each page a synchronization pass has written (progress of queued runs).
    on_page: Callable[[JobLog], None] | None = None
    # The connection's switches (sales order integration changes how invoices total up).
    features: Features = field(default_factory=Features)
    # Page steps of the flows above the engine, by mapping name; injected by the composition
    # root so the engine never imports a flow.
    page_steps: Mapping[str, PageStep] = field(default_factory=dict)
    # Line mappings that only travel with their document: never synchronized alone.
    lines_with_document: frozenset[str] = frozenset()

    def page_step(self, mapping: TableMapping) -> PageStep | None:
        """The flow's page step for this mapping (or the clone of one), if any."""
        return self.page_steps.get(mapping.parent or mapping.name)

    def port(self, side: Side) -> RecordPort:
        return self.erp if side is Side.ERP else self.crm

    def mapping(self, name: str) -> TableMapping:
        try:
            return self.mappings[name]
        except KeyError:
            raise UnknownMappingError(f"there is no mapping named {name}") from None
