"""The engine's `StatePort` in SQL: couplings, watermarks, job log and errors.

Every call is one short transaction, and the bulk calls (couplings of a page of records)
are one query per chunk of ids, so a sync run costs a few statements per page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from ..engine.model import (
    JOB_COUNTERS,
    Coupling,
    Direction,
    FullSyncLine,
    JobError,
    JobLog,
    JobType,
    LineStatus,
    Outcome,
    PassStatus,
    Recommendation,
    Side,
    Watermarks,
)
from . import tables as t

CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def _coupling(row: Any) -> Coupling:
    return Coupling(
        id=row.id,
        mapping=row.mapping,
        erp_id=row.erp_id,
        crm_id=row.crm_id,
        erp_modified_on=row.erp_modified_on,
        crm_modified_on=row.crm_modified_on,
        erp_result=Outcome(row.erp_result) if row.erp_result else None,
        erp_job=row.erp_job,
        crm_result=Outcome(row.crm_result) if row.crm_result else None,
        crm_job=row.crm_job,
        skipped=bool(row.skipped),
        last_error=row.last_error,
        erp_error=row.erp_error,
        crm_error=row.crm_error,
    )


def _coupling_values(c: Coupling) -> dict[str, Any]:
    return {
        "id": c.id,
        "mapping": c.mapping,
        "erp_id": c.erp_id,
        "crm_id": c.crm_id,
        "erp_modified_on": c.erp_modified_on,
        "crm_modified_on": c.crm_modified_on,
        "erp_result": c.erp_result.value if c.erp_result else None,
        "erp_job": c.erp_job,
        "crm_result": c.crm_result.value if c.crm_result else None,
        "crm_job": c.crm_job,
        "skipped": c.skipped,
        "last_error": c.last_error,
        "erp_error": c.erp_error,
        "crm_error": c.crm_error,
    }


class SqlState:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- couplings ------------------------------------------------------------------------

    def _by(self, column: sa.Column[Any], mapping: str, ids: Sequence[str]) -> dict[str, Coupling]:
        found: dict[str, Coupling] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = sa.select(t.coupling).where(
                    t.coupling.c.mapping == mapping, column.in_(chunk)
                )
                for row in conn.execute(query):
                    found[getattr(row, column.name)] = _coupling(row)
        return found

    def couplings_by_erp(self, mapping: str, erp_ids: Sequence[str]) -> dict[str, Coupling]:
        return self._by(t.coupling.c.erp_id, mapping, erp_ids)

    def couplings_by_crm(self, mapping: str, crm_ids: Sequence[str]) -> dict[str, Coupling]:
        return self._by(t.coupling.c.crm_id, mapping, crm_ids)

    def couplings_by_id(self, ids: Sequence[str]) -> dict[str, Coupling]:
        found: dict[str, Coupling] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = sa.select(t.coupling).where(t.coupling.c.id.in_(chunk))
                found.update({r.id: _coupling(r) for r in conn.execute(query)})
        return found

    def skipped_couplings(self, mapping: str | None = None) -> list[Coupling]:
        query = sa.select(t.coupling).where(t.coupling.c.skipped.is_(True))
        if mapping:
            query = query.where(t.coupling.c.mapping == mapping)
        with self.engine.connect() as conn:
            return [_coupling(r) for r in conn.execute(query.order_by(t.coupling.c.mapping))]

    def failed_couplings(self, mapping: str, written_side: Side) -> list[Coupling]:
        column = t.coupling.c.erp_result if written_side is Side.ERP else t.coupling.c.crm_result
        query = sa.select(t.coupling).where(
            t.coupling.c.mapping == mapping,
            t.coupling.c.skipped.is_(False),
            column == Outcome.FAILURE.value,
        )
        with self.engine.connect() as conn:
            return [_coupling(r) for r in conn.execute(query)]

    def all_couplings(self, mapping: str) -> Iterator[list[Coupling]]:
        last = ""
        while True:
            query = (
                sa.select(t.coupling)
                .where(t.coupling.c.mapping == mapping, t.coupling.c.id > last)
                .order_by(t.coupling.c.id)
                .limit(CHUNK)
            )
            with self.engine.connect() as conn:
                page = [_coupling(r) for r in conn.execute(query)]
            if not page:
                return
            yield page
            last = page[-1].id

    def couplings_page(
        self, mapping: str, offset: int = 0, limit: int = 100
    ) -> tuple[int, list[Coupling]]:
        """One page of a mapping's couplings (ordered by ERP id) and how many there are, for
        people paging through a list; sync runs use `all_couplings`."""
        where = t.coupling.c.mapping == mapping
        query = (
            sa.select(t.coupling)
            .where(where)
            .order_by(t.coupling.c.erp_id)
            .offset(offset)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            total = conn.execute(
                sa.select(sa.func.count()).select_from(t.coupling).where(where)
            ).scalar_one()
            return int(total), [_coupling(r) for r in conn.execute(query)]

    def coupling_counts(self) -> dict[str, tuple[int, int]]:
        """Per mapping: (couplings, skipped couplings)."""
        skipped = sa.func.sum(sa.case((t.coupling.c.skipped.is_(True), 1), else_=0))
        query = sa.select(t.coupling.c.mapping, sa.func.count(), skipped).group_by(
            t.coupling.c.mapping
        )
        with self.engine.connect() as conn:
            return {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(query)}

    def error_counts(self) -> dict[str, int]:
        """Per mapping: how many error rows the job log holds."""
        query = sa.select(t.job_error.c.mapping, sa.func.count()).group_by(t.job_error.c.mapping)
        with self.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(query)}

    def save_couplings(self, couplings: Sequence[Coupling]) -> None:
        if not couplings:
            return
        with self.engine.begin() as conn:
            ids = [c.id for c in couplings]
            for chunk in _chunks(ids):
                conn.execute(sa.delete(t.coupling).where(t.coupling.c.id.in_(chunk)))
            conn.execute(sa.insert(t.coupling), [_coupling_values(c) for c in couplings])

    def delete_couplings(self, ids: Sequence[str]) -> None:
        with self.engine.begin() as conn:
            for chunk in _chunks(ids):
                conn.execute(sa.delete(t.coupling).where(t.coupling.c.id.in_(chunk)))

    # -- watermarks -----------------------------------------------------------------------

    def watermarks(self, mapping: str) -> Watermarks:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.watermark).where(t.watermark.c.mapping == mapping)
            ).first()
        if row is None:
            return Watermarks()
        return Watermarks(
            erp=row.erp,
            crm=row.crm,
            erp_seen=frozenset(row.erp_seen or ()),
            crm_seen=frozenset(row.crm_seen or ()),
        )

    def save_watermarks(self, mapping: str, watermarks: Watermarks) -> None:
        values = {
            "erp": watermarks.erp,
            "crm": watermarks.crm,
            "erp_seen": sorted(watermarks.erp_seen),
            "crm_seen": sorted(watermarks.crm_seen),
        }
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.watermark).where(t.watermark.c.mapping == mapping))
            conn.execute(sa.insert(t.watermark).values(mapping=mapping, **values))

    # -- flow cursors -------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(t.flow_cursor.c.value).where(t.flow_cursor.c.name == name)
            ).scalar()
        return None if value is None else str(value)

    def save_cursor(self, name: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.flow_cursor).where(t.flow_cursor.c.name == name))
            conn.execute(
                sa.insert(t.flow_cursor).values(
                    name=name, value=value, updated_at=dt.datetime.now(dt.UTC)
                )
            )

    # -- job log ----------------------------------------------------------------------------

    def save_job(self, job: JobLog) -> None:
        values = {
            "id": job.id,
            "mapping": job.mapping,
            "direction": job.direction.value,
            "type": job.type.value,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "message": job.message,
            **{name: getattr(job, name) for name in JOB_COUNTERS},
        }
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.job).where(t.job.c.id == job.id))
            conn.execute(sa.insert(t.job).values(**values))

    def add_errors(self, errors: Sequence[JobError]) -> None:
        if not errors:
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(t.job_error),
                [
                    {
                        "job_id": e.job_id,
                        "mapping": e.mapping,
                        "source_id": e.source_id,
                        "destination_id": e.destination_id,
                        "message": e.message,
                        "created_at": e.created_at,
                    }
                    for e in errors
                ],
            )

    def jobs(self, mapping: str | None = None, limit: int = 100) -> list[JobLog]:
        query = sa.select(t.job).order_by(t.job.c.started_at.desc()).limit(limit)
        if mapping:
            query = query.where(t.job.c.mapping == mapping)
        with self.engine.connect() as conn:
            return [
                JobLog(
                    id=r.id,
                    mapping=r.mapping,
                    direction=Direction(r.direction),
                    started_at=r.started_at,
                    type=JobType(r.type),
                    finished_at=r.finished_at,
                    message=r.message,
                    **{name: getattr(r, name) for name in JOB_COUNTERS},
                )
                for r in conn.execute(query)
            ]

    def errors(self, job_id: str | None = None, limit: int = 200) -> list[tuple[int, JobError]]:
        query = sa.select(t.job_error).order_by(t.job_error.c.id.desc()).limit(limit)
        if job_id:
            query = query.where(t.job_error.c.job_id == job_id)
        with self.engine.connect() as conn:
            return [
                (
                    r.id,
                    JobError(
                        job_id=r.job_id,
                        mapping=r.mapping,
                        source_id=r.source_id,
                        destination_id=r.destination_id,
                        message=r.message,
                        created_at=r.created_at,
                    ),
                )
                for r in conn.execute(query)
            ]

    def job_errors(self, job_id: str) -> list[JobError]:
        return [e for _, e in reversed(self.errors(job_id, limit=100_000))]

    # -- full synchronization review ---------------------------------------------------------

    def full_sync_lines(self) -> list[FullSyncLine]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.full_sync_line).order_by(t.full_sync_line.c.position))
            return [
                FullSyncLine(
                    name=r.name,
                    direction=Direction(r.direction),
                    recommendation=Recommendation(r.recommendation),
                    dependencies=tuple(r.dependencies or ()),
                    status=LineStatus(r.status),
                    erp_to_crm_job=r.erp_to_crm_job,
                    erp_to_crm_status=PassStatus(r.erp_to_crm_status),
                    crm_to_erp_job=r.crm_to_erp_job,
                    crm_to_erp_status=PassStatus(r.crm_to_erp_status),
                    coupling_job=r.coupling_job,
                    started_at=r.started_at,
                    finished_at=r.finished_at,
                    message=r.message,
                )
                for r in rows
            ]

    def save_full_sync_lines(self, lines: Sequence[FullSyncLine]) -> None:
        if not lines:
            return
        with self.engine.begin() as conn:
            positions = dict(
                conn.execute(sa.select(t.full_sync_line.c.name, t.full_sync_line.c.position)).all()
            )
            next_position = max(positions.values(), default=-1) + 1
            for line in lines:
                position = positions.get(line.name)
                if position is None:
                    position, next_position = next_position, next_position + 1
                conn.execute(
                    sa.delete(t.full_sync_line).where(t.full_sync_line.c.name == line.name)
                )
                conn.execute(
                    sa.insert(t.full_sync_line).values(
                        name=line.name,
                        position=position,
                        direction=line.direction.value,
                        recommendation=line.recommendation.value,
                        dependencies=list(line.dependencies),
                        status=line.status.value,
                        erp_to_crm_job=line.erp_to_crm_job,
                        erp_to_crm_status=line.erp_to_crm_status.value,
                        crm_to_erp_job=line.crm_to_erp_job,
                        crm_to_erp_status=line.crm_to_erp_status.value,
                        coupling_job=line.coupling_job,
                        started_at=line.started_at,
                        finished_at=line.finished_at,
                        message=line.message,
                    )
                )

    def rename_mapping(self, old: str, new: str) -> None:
        with self.engine.begin() as conn:
            for table in (t.coupling, t.watermark, t.job, t.job_error):
                conn.execute(sa.update(table).where(table.c.mapping == old).values(mapping=new))
            line = t.full_sync_line
            conn.execute(sa.update(line).where(line.c.name == old).values(name=new))

    def delete_full_sync_lines(self, names: Sequence[str]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(t.full_sync_line).where(t.full_sync_line.c.name.in_(list(names)))
            )
