"""The SQL state port: migrations, couplings, watermarks, job log (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from couplet.engine.model import (
    Coupling,
    Direction,
    FullSyncLine,
    JobError,
    JobLog,
    LineStatus,
    Outcome,
    PassStatus,
    Recommendation,
    Side,
    Watermarks,
)
from couplet.store.db import make_engine, migrate
from couplet.store.sql_state import SqlState
from couplet.store.tables import metadata

T0 = dt.datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def state(engine: sa.Engine) -> SqlState:
    return SqlState(engine)


def test_migrations_match_the_tables_and_are_idempotent(engine: sa.Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def _c(i: int, **kw: object) -> Coupling:
    return Coupling(id=f"c{i:04d}", mapping="CUSTOMER", erp_id=f"e{i}", crm_id=f"r{i}", **kw)  # type: ignore[arg-type]


def test_couplings(state: SqlState) -> None:
    state.save_couplings([_c(i, erp_modified_on=T0) for i in range(1200)])
    by_erp = state.couplings_by_erp("CUSTOMER", [f"e{i}" for i in range(0, 1200, 2)])
    assert len(by_erp) == 600 and by_erp["e2"].crm_id == "r2"
    assert by_erp["e2"].erp_modified_on == T0
    assert state.couplings_by_crm("CUSTOMER", ["r5", "nope"]).keys() == {"r5"}
    assert state.couplings_by_erp("OTHER", ["e1"]) == {}
    failed = _c(7, crm_result=Outcome.FAILURE, crm_job="j1", last_error="boom")
    skipped = _c(8, crm_result=Outcome.FAILURE, skipped=True)
    state.save_couplings([failed, skipped])
    assert [c.id for c in state.failed_couplings("CUSTOMER", Side.CRM)] == ["c0007"]
    assert state.failed_couplings("CUSTOMER", Side.ERP) == []
    assert state.couplings_by_erp("CUSTOMER", ["e7"])["e7"] == failed
    pages = list(state.all_couplings("CUSTOMER"))
    assert sum(len(p) for p in pages) == 1200 and len(pages) == 3
    state.delete_couplings(["c0007", "c0008"])
    assert state.couplings_by_erp("CUSTOMER", ["e7", "e8"]) == {}


def test_one_coupling_per_record_and_side(state: SqlState) -> None:
    state.save_couplings([_c(1)])
    with pytest.raises(sa.exc.IntegrityError):
        state.save_couplings([Coupling(id="other", mapping="CUSTOMER", erp_id="e1", crm_id="x")])


def test_watermarks(state: SqlState) -> None:
    assert state.watermarks("CUSTOMER") == Watermarks()
    marks = Watermarks(erp=T0, crm=None, erp_seen=frozenset({"a", "b"}))
    state.save_watermarks("CUSTOMER", marks)
    assert state.watermarks("CUSTOMER") == marks
    later = Watermarks(erp=T0 + dt.timedelta(seconds=1), crm=T0)
    state.save_watermarks("CUSTOMER", later)
    assert state.watermarks("CUSTOMER") == later


def test_jobs_and_errors(state: SqlState) -> None:
    job = JobLog(id="j1", mapping="CUSTOMER", direction=Direction.ERP_TO_CRM, started_at=T0)
    state.save_job(job)
    job.finished_at, job.failed, job.message = T0 + dt.timedelta(seconds=3), 1, "done"
    state.save_job(job)
    error = JobError(
        "j1",
        "CUSTOMER",
        "e1",
        "r1",
        "Salesperson Code X must be coupled to a record in Dataverse",
        T0,
    )
    state.add_errors([error])
    jobs = state.jobs()
    assert len(jobs) == 1 and jobs[0].failed == 1 and jobs[0].finished_at is not None
    assert state.errors("j1")[0][1].destination_id == "r1"
    assert state.job_errors("j1") == [error]
    assert state.job_errors("other") == []


def test_per_side_errors_skipped_and_by_id(state: SqlState) -> None:
    state.save_couplings([_c(1, crm_error="boom", skipped=True), _c(2, erp_error="bad")])
    assert state.couplings_by_id(["c0001"])["c0001"].crm_error == "boom"
    assert state.couplings_by_id(["c0002"])["c0002"].erp_error == "bad"
    assert [c.id for c in state.skipped_couplings()] == ["c0001"]
    assert state.skipped_couplings("OTHER") == []


def test_full_sync_lines(state: SqlState) -> None:
    lines = [
        FullSyncLine("CURRENCY", Direction.ERP_TO_CRM, Recommendation.FULL_SYNCHRONIZATION),
        FullSyncLine(
            "CUSTOMER",
            Direction.BIDIRECTIONAL,
            Recommendation.COUPLE_RECORDS,
            dependencies=("CURRENCY",),
        ),
    ]
    state.save_full_sync_lines(lines)
    assert state.full_sync_lines() == lines
    started = dataclasses.replace(
        lines[0],
        status=LineStatus.IN_PROCESS,
        started_at=T0,
        erp_to_crm_job="j",
        erp_to_crm_status=PassStatus.IN_PROCESS,
    )
    state.save_full_sync_lines([started])
    assert state.full_sync_lines() == [started, lines[1]]  # order kept
    state.delete_full_sync_lines(["CURRENCY"])
    assert [x.name for x in state.full_sync_lines()] == ["CUSTOMER"]
