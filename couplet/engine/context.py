"""What every engine operation works with: the two systems, the state, the clock, the mappings.

Built once by the composition root (or a test) and passed to the runner, matching, full
synchronization and the manual actions, so none of them reaches for globals or the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from . import roles
from .catalogue import default_document_maps
from .connection import Features
from .errors import UnknownMappingError
from .model import JobLog, Row, Side, TableMapping
from .plan import PassSettings
from .ports import Clock, OptionPort, RecordPort, StatePort
from .roles import Role
from .schema import DocumentsDoc

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
    # Page steps of the flows above the engine, by the role of their mapping; injected by
    # the composition root so the engine never imports a flow.
    page_steps: Mapping[Role, PageStep] = field(default_factory=dict)
    # Roles of line mappings that only travel with their document: never synchronized alone.
    lines_with_document: frozenset[Role] = frozenset()
    # What the document flows write besides the mappings' fields (the catalogue's
    # `[document.<name>]` sections).
    documents: DocumentsDoc = field(default_factory=default_document_maps)

    def role_of(self, mapping: TableMapping) -> Role | None:
        """The role of this mapping, or of the mapping it is a clone of."""
        if mapping.role is None and mapping.parent is not None and mapping.parent in self.mappings:
            return self.mappings[mapping.parent].role
        return mapping.role

    def page_step(self, mapping: TableMapping) -> PageStep | None:
        """The flow's page step for this mapping (or the clone of one), if any."""
        role = self.role_of(mapping)
        return self.page_steps.get(role) if role is not None else None

    def travels_with_document(self, mapping: TableMapping) -> bool:
        """Whether this is a line mapping that is never synchronized on its own."""
        return self.role_of(mapping) in self.lines_with_document

    def by_role(self, role: Role) -> TableMapping:
        """The mapping with this role (MappingError naming the role when none has it)."""
        return roles.mapping_for(self.mappings, role)

    def name_for(self, role: Role) -> str:
        """The name of the mapping with this role: the state store keys couplings by it."""
        return self.by_role(role).name

    def coupling_name(self, role: Role) -> str:
        """Like `name_for`, for documents coupled also without a mapping (sales orders)."""
        return roles.coupling_name(self.mappings, role)

    def blank(self, role: Role) -> str | None:
        """The CRM id standing for a blank ERP reference to the mapping with this role."""
        found = roles.find(self.mappings, role)
        return self.blanks.get(found.name) if found is not None else None

    def port(self, side: Side) -> RecordPort:
        return self.erp if side is Side.ERP else self.crm

    def mapping(self, name: str) -> TableMapping:
        try:
            return self.mappings[name]
        except KeyError:
            raise UnknownMappingError(f"there is no mapping named {name}") from None
