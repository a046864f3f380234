"""The engine's vocabulary: sides, directions, rows, references, table and field mappings.

Directions are named from the ERP's point of view, as Business Central names them:
`erp-to-crm` (ToIntegrationTable), `crm-to-erp` (FromIntegrationTable), `bidirectional`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .roles import FullSyncPolicy, Role


class Side(StrEnum):
    ERP = "erp"
    CRM = "crm"

    @property
    def other(self) -> Side:
        return Side.CRM if self is Side.ERP else Side.ERP

    @property
    def system_name(self) -> str:
        """The product name users know the side by, used in messages they act on."""
        return "Business Central" if self is Side.ERP else "Dataverse"


class Direction(StrEnum):
    ERP_TO_CRM = "erp-to-crm"
    CRM_TO_ERP = "crm-to-erp"
    BIDIRECTIONAL = "bidirectional"

    @property
    def source(self) -> Side:
        """The side a one-way direction reads from (bidirectional has none)."""
        if self is Direction.BIDIRECTIONAL:
            raise ValueError("a bidirectional mapping reads from both sides")
        return Side.ERP if self is Direction.ERP_TO_CRM else Side.CRM

    @property
    def destination(self) -> Side:
        """The side a one-way direction writes to."""
        return self.source.other

    @property
    def passes(self) -> tuple[Direction, ...]:
        """The one-way passes a run in this direction makes, ERP to CRM first (as BC does)."""
        if self is Direction.BIDIRECTIONAL:
            return (Direction.ERP_TO_CRM, Direction.CRM_TO_ERP)
        return (self,)

    @staticmethod
    def from_side(source: Side) -> Direction:
        return Direction.ERP_TO_CRM if source is Side.ERP else Direction.CRM_TO_ERP

    def includes(self, pass_direction: Direction) -> bool:
        """Whether a field or table with this direction takes part in a one-way pass."""
        return self is Direction.BIDIRECTIONAL or self is pass_direction


class UpdateConflict(StrEnum):
    NONE = "none"
    SEND_TO_CRM = "send-update-to-crm"  # BC: Send Update to Integration (ERP wins)
    GET_FROM_CRM = "get-update-from-crm"  # BC: Get Update from Integration (CRM wins)


class DeletionConflict(StrEnum):
    NONE = "none"
    RESTORE = "restore-records"
    REMOVE_COUPLING = "remove-coupling"


@dataclass(frozen=True)
class Ref:
    """A reference value: the id of a row in another table of the same side.

    Lookups travel as `Ref`s so each connector can write them its own way (Dataverse
    `x@odata.bind`, Business Central a plain id field). `id=None` clears the reference.
    """

    table: str
    id: str | None
    # What a person knows the referenced row by (a code or name), for messages only; two
    # references to the same row are equal whatever their labels.
    label: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Row:
    """One record of one table on one side, as read through a connector.

    `values` maps API field names (ERP camelCase, CRM logical names; CRM lookups by their
    attribute name, e.g. `transactioncurrencyid`) to plain Python values: str, int, bool,
    Decimal, date, datetime (aware UTC), None, or `Ref` for lookups.
    """

    id: str
    modified_on: dt.datetime
    values: Mapping[str, object] = field(default_factory=dict)
    modified_by: str | None = None


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    # Case-insensitive equality of text (Business Central: tolower(field) eq 'value';
    # Dataverse: plain eq, its comparisons ignore case); match-based coupling uses it for
    # criteria that are not case-sensitive.
    IEQ = "ieq"


@dataclass(frozen=True)
class Condition:
    """One clause of a table filter; a filter is a tuple of conditions, all of which hold.

    `value` is a plain value, or a tuple for `in`. Connectors translate filters into their
    API's query language (OData `$filter` for both APIs).
    """

    field: str
    op: Op
    value: object


Filter = tuple[Condition, ...]


@dataclass(frozen=True)
class Transform:
    """A transformation rule applied to a value before transfer (see `transforms.py`)."""

    kind: str  # trim | upper | lower | title | replace | regex-replace | substring | round |
    #            remove-non-alphanumeric | field-lookup | minimum
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldMapping:
    """One pair of fields (or a constant written to one side) of a table mapping.

    `lookup` names the related mapping whose couplings translate a reference (a GUID on
    both sides); `option` names the option mapping that translates an ERP record reference
    into a CRM choice value. `constant` with no source field writes a fixed value.
    """

    erp_field: str | None
    crm_field: str | None
    direction: Direction
    constant: object = None
    validate: bool = True
    clear_on_failed_sync: bool = False
    not_null: bool = False
    transform: Transform | None = None
    transform_direction: Direction | None = None
    lookup: str | None = None
    option: str | None = None
    use_for_matching: bool = False
    case_sensitive_matching: bool = False
    match_priority: int = 0
    enabled: bool = True
    # An uncoupled reference is synchronized through its related mapping on the fly (when
    # the referenced row is within that mapping's filter) instead of failing the record,
    # as Business Central does for the units of a price line.
    sync_uncoupled: bool = False
    # The value may be set when the destination row is created but never changed after
    # (Business Central: the currency of an existing CRM price list).
    fixed: bool = False

    @property
    def related(self) -> tuple[str, ...]:
        """The mappings whose couplings translate this reference: `lookup` may name several
        separated by `|` (a price line's asset is an item or a resource), tried in order;
        ERP ids are GUIDs, so at most one of them knows a given id."""
        if self.option:
            return (self.option,)
        return tuple(n.strip() for n in (self.lookup or "").split("|") if n.strip())

    def field_on(self, side: Side) -> str | None:
        return self.erp_field if side is Side.ERP else self.crm_field

    @property
    def is_constant(self) -> bool:
        return self.erp_field is None or self.crm_field is None

    def transforms_in(self, pass_direction: Direction) -> bool:
        """Whether the transformation rule applies to values moving in this pass."""
        if self.transform is None:
            return False
        return (self.transform_direction or self.direction).includes(pass_direction)


@dataclass(frozen=True)
class JobSettings:
    """The recurring job of a mapping (Business Central's job queue entry)."""

    enabled: bool = True
    interval_seconds: int = 1800
    inactivity_timeout_minutes: int = 720
    max_attempts: int = 10
    rerun_delay_seconds: int = 30
    category: str = ""


@dataclass(frozen=True)
class TableMapping:
    """An integration table mapping: which ERP table pairs with which CRM table, how.

    For an option mapping (`option_mapping`), `crm_table` is the CRM table holding the
    choice column and `crm_uid_field` the choice column itself; its couplings pair ERP row
    ids with option values (as strings).
    """

    name: str
    erp_table: str
    crm_table: str
    direction: Direction
    fields: tuple[FieldMapping, ...] = ()
    erp_filter: Filter = ()
    crm_filter: Filter = ()
    only_coupled: bool = True
    dependencies: tuple[str, ...] = ()
    update_conflict: UpdateConflict = UpdateConflict.NONE
    deletion_conflict: DeletionConflict = DeletionConflict.NONE
    sync_after_coupling: bool = False
    create_new_if_no_match: bool = False
    option_mapping: bool = False
    crm_uid_field: str | None = None
    erp_template: Mapping[str, object] = field(default_factory=dict)
    crm_template: Mapping[str, object] = field(default_factory=dict)
    parent: str | None = None
    job: JobSettings = field(default_factory=JobSettings)
    description: str = ""
    # Before an uncoupled source row is created on the other side, a destination row with
    # the same match-field values is looked for and coupled instead (Business Central's
    # implicit matches: a currency by ISO code, a unit by name in its group, a price list
    # item by list, product and unit), so no duplicate arises.
    match_before_insert: bool = False
    # After a source row is synchronized, the rows of `child_mapping` whose ERP field
    # `child_field` points at it are synchronized too (a price list's lines).
    child_mapping: str | None = None
    child_field: str | None = None
    # Values a CRM row must hold while it is modified, its own restored right after: the
    # CRM keeps a submitted order read-only, so it is made Active for the write (as BC does).
    crm_write_state: Mapping[str, object] = field(default_factory=dict)
    # What the mapping stands for (the flows and full synchronization find it by role, never
    # by name) and how full synchronization treats it.
    role: Role | None = None
    full_sync: FullSyncPolicy = FullSyncPolicy.BY_COUNTS

    def fields_for(self, pass_direction: Direction) -> tuple[FieldMapping, ...]:
        return tuple(f for f in self.fields if f.enabled and f.direction.includes(pass_direction))

    def table_on(self, side: Side) -> str:
        return self.erp_table if side is Side.ERP else self.crm_table

    def filter_on(self, side: Side) -> Filter:
        return self.erp_filter if side is Side.ERP else self.crm_filter

    def template_on(self, side: Side) -> Mapping[str, object]:
        return self.erp_template if side is Side.ERP else self.crm_template


@dataclass(frozen=True)
class Watermarks:
    """How far each side has been read: rows modified at or after these moments are candidates."""

    erp: dt.datetime | None = None
    crm: dt.datetime | None = None
    # Ids already handled at exactly the watermark moment, so a closed lower bound does not
    # process them again (timestamps are coarse and many rows share one).
    erp_seen: frozenset[str] = frozenset()
    crm_seen: frozenset[str] = frozenset()


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True)
class Coupling:
    """A link between one ERP row and one CRM row of a mapping, with its sync state.

    `erp_modified_on` / `crm_modified_on` are the rows' modified-on values at the last
    successful sync: a row counts as changed only when it is newer than that, which is
    what keeps the engine from reading its own writes back as changes. `erp_result` is the
    outcome of the last pass that wrote the ERP row (crm-to-erp), `crm_result` of the last
    pass that wrote the CRM row (erp-to-crm).
    """

    id: str
    mapping: str
    erp_id: str
    crm_id: str
    erp_modified_on: dt.datetime | None = None
    crm_modified_on: dt.datetime | None = None
    erp_result: Outcome | None = None
    erp_job: str | None = None
    crm_result: Outcome | None = None
    crm_job: str | None = None
    skipped: bool = False
    last_error: str | None = None
    # The error of the last failed write to each side: the same error twice in a row in one
    # direction marks the coupling skipped.
    erp_error: str | None = None
    crm_error: str | None = None

    def id_on(self, side: Side) -> str:
        return self.erp_id if side is Side.ERP else self.crm_id

    def modified_on(self, side: Side) -> dt.datetime | None:
        return self.erp_modified_on if side is Side.ERP else self.crm_modified_on

    def result_on(self, side: Side) -> Outcome | None:
        """The outcome of the last pass that wrote this side's row."""
        return self.erp_result if side is Side.ERP else self.crm_result

    def error_on(self, side: Side) -> str | None:
        return self.erp_error if side is Side.ERP else self.crm_error


class JobType(StrEnum):
    SYNCHRONIZATION = "synchronization"
    COUPLING = "coupling"
    UNCOUPLING = "uncoupling"


# The counters every job keeps (Business Central's Integration Synch. Job).
JOB_COUNTERS = (
    "inserted",
    "modified",
    "deleted",
    "unchanged",
    "skipped",
    "failed",
    "coupled",
    "uncoupled",
)


@dataclass
class JobLog:
    """One integration synchronization job: a pass of a mapping in one direction."""

    id: str
    mapping: str
    direction: Direction
    started_at: dt.datetime
    type: JobType = JobType.SYNCHRONIZATION
    finished_at: dt.datetime | None = None
    inserted: int = 0
    modified: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    coupled: int = 0
    uncoupled: int = 0
    message: str = ""

    @property
    def idle(self) -> bool:
        """Nothing was written and nothing failed (the job may go to sleep)."""
        return self.inserted + self.modified + self.deleted + self.failed == 0


@dataclass(frozen=True)
class JobError:
    """One record that failed in a job, with both record ids and an actionable message."""

    job_id: str
    mapping: str
    source_id: str | None
    destination_id: str | None
    message: str
    created_at: dt.datetime


class Recommendation(StrEnum):
    """What full synchronization recommends for a mapping (BC's Initial Synch Recommendation)."""

    FULL_SYNCHRONIZATION = "full-synchronization"
    COUPLE_RECORDS = "couple-records"
    NO_RECORDS = "no-records-found"


class LineStatus(StrEnum):
    """Where a full-synchronization line stands (BC's job queue entry status, simplified)."""

    NOT_STARTED = "not-started"
    IN_PROCESS = "in-process"
    FINISHED = "finished"
    ERROR = "error"


class PassStatus(StrEnum):
    """The outcome of one direction's job of a full-synchronization line."""

    NONE = ""
    IN_PROCESS = "in-process"
    SUCCESS = "success"
    ERROR = "error"


@dataclass(frozen=True)
class FullSyncLine:
    """One mapping on the full-synchronization review: what to do and how far it got.

    Kept in the state port so a crashed full synchronization resumes where it stopped.
    """

    name: str
    direction: Direction
    recommendation: Recommendation
    dependencies: tuple[str, ...] = ()
    status: LineStatus = LineStatus.NOT_STARTED
    erp_to_crm_job: str | None = None
    erp_to_crm_status: PassStatus = PassStatus.NONE
    crm_to_erp_job: str | None = None
    crm_to_erp_status: PassStatus = PassStatus.NONE
    coupling_job: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    message: str = ""
