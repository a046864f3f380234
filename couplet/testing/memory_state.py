"""The engine's state kept in memory: a `StatePort` for tests and single-process demos.

It enforces what the SQL store's constraints will: one coupling per ERP row and per CRM
row of a mapping. Values are stored as copies, so the engine cannot change them behind
the store's back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from couplet.engine.model import (
    Coupling,
    FullSyncLine,
    JobError,
    JobLog,
    Outcome,
    Side,
    Watermarks,
)

_Named = TypeVar("_Named", Coupling, JobLog, JobError)


@dataclass
class MemoryStatePort:
    couplings: dict[str, Coupling] = field(default_factory=dict)
    marks: dict[str, Watermarks] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)
    job_log: dict[str, JobLog] = field(default_factory=dict)
    errors: list[JobError] = field(default_factory=list)
    lines: dict[str, FullSyncLine] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    # ---- couplings -----------------------------------------------------------------------

    def couplings_by_erp(self, mapping: str, erp_ids: Sequence[str]) -> dict[str, Coupling]:
        self._count("couplings_by_erp")
        wanted = set(erp_ids)
        return {
            c.erp_id: c
            for c in self.couplings.values()
            if c.mapping == mapping and c.erp_id in wanted
        }

    def couplings_by_crm(self, mapping: str, crm_ids: Sequence[str]) -> dict[str, Coupling]:
        self._count("couplings_by_crm")
        wanted = set(crm_ids)
        return {
            c.crm_id: c
            for c in self.couplings.values()
            if c.mapping == mapping and c.crm_id in wanted
        }

    def couplings_by_id(self, ids: Sequence[str]) -> dict[str, Coupling]:
        return {i: self.couplings[i] for i in ids if i in self.couplings}

    def failed_couplings(self, mapping: str, written_side: Side) -> list[Coupling]:
        return [
            c
            for c in self.couplings.values()
            if c.mapping == mapping
            and not c.skipped
            and c.result_on(written_side) is Outcome.FAILURE
        ]

    def skipped_couplings(self, mapping: str | None = None) -> list[Coupling]:
        return [c for c in self.couplings.values() if c.skipped and mapping in (None, c.mapping)]

    def all_couplings(self, mapping: str) -> Iterator[list[Coupling]]:
        found = [c for c in self.couplings.values() if c.mapping == mapping]
        for start in range(0, len(found), 1000):
            yield found[start : start + 1000]

    def save_couplings(self, couplings: Sequence[Coupling]) -> None:
        self._count("save_couplings")
        for coupling in couplings:
            for other in self.couplings.values():
                if other.id == coupling.id or other.mapping != coupling.mapping:
                    continue
                if other.erp_id == coupling.erp_id or other.crm_id == coupling.crm_id:
                    raise ValueError(
                        f"coupling {coupling.id} would duplicate coupling {other.id} "
                        f"of {coupling.mapping} ({other.erp_id} <-> {other.crm_id})"
                    )
            self.couplings[coupling.id] = coupling

    def delete_couplings(self, ids: Sequence[str]) -> None:
        for i in ids:
            self.couplings.pop(i, None)

    # ---- watermarks ----------------------------------------------------------------------

    def watermarks(self, mapping: str) -> Watermarks:
        return self.marks.get(mapping, Watermarks())

    def save_watermarks(self, mapping: str, watermarks: Watermarks) -> None:
        self.marks[mapping] = watermarks

    # ---- flow cursors --------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        return self.cursors.get(name)

    def save_cursor(self, name: str, value: str) -> None:
        self.cursors[name] = value

    # ---- job log -------------------------------------------------------------------------

    def save_job(self, job: JobLog) -> None:
        self.job_log[job.id] = dataclasses.replace(job)

    def add_errors(self, errors: Sequence[JobError]) -> None:
        self.errors.extend(errors)

    def jobs(self, mapping: str | None = None) -> list[JobLog]:
        found = [
            dataclasses.replace(j) for j in self.job_log.values() if mapping in (None, j.mapping)
        ]
        return list(reversed(found))

    def job_errors(self, job_id: str) -> list[JobError]:
        return [e for e in self.errors if e.job_id == job_id]

    # ---- full synchronization review -----------------------------------------------------

    def full_sync_lines(self) -> list[FullSyncLine]:
        return list(self.lines.values())

    def save_full_sync_lines(self, lines: Sequence[FullSyncLine]) -> None:
        for line in lines:
            self.lines[line.name] = line

    def rename_mapping(self, old: str, new: str) -> None:
        def moved(value: _Named) -> _Named:
            return dataclasses.replace(value, mapping=new) if value.mapping == old else value

        self.couplings = {k: moved(c) for k, c in self.couplings.items()}
        if old in self.marks:
            self.marks[new] = self.marks.pop(old)
        self.job_log = {k: moved(j) for k, j in self.job_log.items()}
        self.errors = [moved(e) for e in self.errors]
        if old in self.lines:
            self.lines[new] = dataclasses.replace(self.lines.pop(old), name=new)

    def delete_full_sync_lines(self, names: Sequence[str]) -> None:
        for name in names:
            self.lines.pop(name, None)
