"""The two ports through which the engine reaches the world.

`RecordPort` is one system (the ERP or the CRM) seen as tables of rows; connectors implement
it over HTTP, `connectors.memory` in memory for tests. `StatePort` keeps the engine's own
state (couplings, watermarks, jobs and errors); `store` implements it with SQL.

Ports work in bulk: pages of rows, reads by many ids, writes of many rows at once, so that
a connector can use server paging and `$batch` instead of one round trip per record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .model import Coupling, Filter, FullSyncLine, JobError, JobLog, Row, Side, Watermarks
from .schedule import JobEntry


@dataclass(frozen=True)
class WriteResult:
    """What became of one write: the row as stored, or why it failed."""

    row: Row | None = None
    error: str | None = None
    # What an action answered: its JSON body, or {"id": …} of the row it points to (Location).
    data: Mapping[str, object] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class RecordPort(Protocol):
    """One side's tables. Table and field names are that API's own (entity sets, fields)."""

    side: Side

    def query(
        self,
        table: str,
        *,
        filters: Filter = (),
        modified_from: dt.datetime | None = None,
        modified_until: dt.datetime | None = None,
        page_size: int = 1000,
    ) -> Iterator[list[Row]]:
        """Rows matching the filter and `modified_from <= modified_on <= modified_until`,
        in pages, oldest modification first."""
        ...

    def get_many(self, table: str, ids: Sequence[str]) -> dict[str, Row]:
        """The rows with these ids that exist (missing ids are simply absent)."""
        ...

    def insert_many(self, table: str, rows: Sequence[Mapping[str, object]]) -> list[WriteResult]:
        """Creates rows (values may hold `Ref`s); one result per row, in order."""
        ...

    def update_many(
        self, table: str, changes: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WriteResult]:
        """Writes only the given fields of existing rows; one result per change, in order."""
        ...

    def delete_many(self, table: str, ids: Sequence[str]) -> list[WriteResult]: ...

    def count(self, table: str, filters: Filter = ()) -> int: ...

    def act(
        self,
        action: str,
        *,
        table: str | None = None,
        row_id: str | None = None,
        body: Mapping[str, object] | None = None,
    ) -> WriteResult:
        """Calls an operation of the system: bound to a row (`table`, `row_id`) or unbound
        (Dataverse messages such as WinQuote). A refusal comes back as the result's error."""
        ...


class OptionPort(Protocol):
    """The CRM's choice columns, for option mappings (payment terms and the like)."""

    def options(self, table: str, attribute: str) -> dict[int, str]: ...

    def add_option(self, table: str, attribute: str, label: str) -> int: ...


class StatePort(Protocol):
    """The engine's persistent state.

    A coupling is unique per (mapping, erp_id) and per (mapping, crm_id); implementations
    may enforce it. Everything is read and written in bulk so a page costs one call.
    """

    # couplings
    def couplings_by_erp(self, mapping: str, erp_ids: Sequence[str]) -> dict[str, Coupling]:
        """The couplings of these ERP rows, keyed by ERP id."""
        ...

    def couplings_by_crm(self, mapping: str, crm_ids: Sequence[str]) -> dict[str, Coupling]:
        """The couplings of these CRM rows, keyed by CRM id."""
        ...

    def couplings_by_id(self, ids: Sequence[str]) -> dict[str, Coupling]: ...

    def failed_couplings(self, mapping: str, written_side: Side) -> list[Coupling]:
        """Non-skipped couplings whose last write to `written_side` failed (the retry set)."""
        ...

    def skipped_couplings(self, mapping: str | None = None) -> list[Coupling]:
        """Couplings marked skipped, of one mapping or of all."""
        ...

    def all_couplings(self, mapping: str) -> Iterator[list[Coupling]]:
        """Every coupling of a mapping, in pages."""
        ...

    def save_couplings(self, couplings: Sequence[Coupling]) -> None:
        """Inserts or replaces couplings by id."""
        ...

    def delete_couplings(self, ids: Sequence[str]) -> None: ...

    # watermarks (keyed by mapping name, or by a run's own key such as a full sync's)
    def watermarks(self, mapping: str) -> Watermarks: ...

    def save_watermarks(self, mapping: str, watermarks: Watermarks) -> None: ...

    # where a document flow got to (a time, a ledger entry number), kept as text
    def cursor(self, name: str) -> str | None: ...

    def save_cursor(self, name: str, value: str) -> None: ...

    # job log
    def save_job(self, job: JobLog) -> None:
        """Inserts or replaces the job by id (a job is saved when it starts and when it ends)."""
        ...

    def add_errors(self, errors: Sequence[JobError]) -> None: ...

    def jobs(self, mapping: str | None = None) -> list[JobLog]:
        """Jobs, newest first."""
        ...

    def job_errors(self, job_id: str) -> list[JobError]: ...

    # full synchronization review
    def rename_mapping(self, old: str, new: str) -> None:
        """Moves what is kept under a mapping's name (couplings, watermarks, job log, errors,
        its full-sync line) to its new name, so a renamed mapping keeps its records."""
        ...

    def full_sync_lines(self) -> list[FullSyncLine]: ...

    def save_full_sync_lines(self, lines: Sequence[FullSyncLine]) -> None:
        """Inserts or replaces lines by name."""
        ...

    def delete_full_sync_lines(self, names: Sequence[str]) -> None: ...


class Clock(Protocol):
    def __call__(self) -> dt.datetime: ...


class JobQueuePort(Protocol):
    """Where job queue entries live, shared by every worker process."""

    def upsert(self, entry: JobEntry) -> None: ...

    def get(self, name: str) -> JobEntry | None: ...

    def entries(self) -> list[JobEntry]: ...

    def due(self, now: dt.datetime) -> list[JobEntry]:
        """The entries due at `now` (Ready or sleeping past their time), most overdue first."""
        ...

    def claim_due(self, now: dt.datetime, worker: str, name: str | None = None) -> JobEntry | None:
        """Marks one due entry (the named one, when given) In Process for this worker and
        returns it; None when nothing is due. Two workers never claim the same entry, so a
        mapping never runs twice at once."""
        ...

    def add_unless(
        self, entry: JobEntry, joins: Callable[[Sequence[JobEntry]], JobEntry | None]
    ) -> JobEntry | None:
        """Adds the entry unless `joins` picks one of the active (ready or in process)
        entries of its kind, and returns that one; atomic against concurrent requests."""
        ...

    def renew_claim(self, name: str, worker: str, now: dt.datetime) -> bool:
        """The claiming worker's heartbeat; False when the claim is not its own any more."""
        ...

    def release(self, entry: JobEntry) -> None:
        """Stores the entry's state after its run (and frees the claim)."""
        ...

    def delete(self, name: str) -> None: ...

    def recover_stale(self, now: dt.datetime, older_than: dt.timedelta) -> int:
        """Frees claims whose worker's heartbeat stopped (not renewed for `older_than`)."""
        ...
