"""What every engine operation works with: the two systems, the state, the clock, the mappings.

Built once by the composition root (or a test) and passed to the runner, matching, full
synchronization and the manual actions, so none of them reaches for globals or the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .connection import Features
from .errors import UnknownMappingError
from .model import JobLog, Side, TableMapping
from .ports import Clock, OptionPort, RecordPort, StatePort


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

    def port(self, side: Side) -> RecordPort:
        return self.erp if side is Side.ERP else self.crm

    def mapping(self, name: str) -> TableMapping:
        try:
            return self.mappings[name]
        except KeyError:
            raise UnknownMappingError(f"there is no mapping named {name}") from None
