"""Shared fixtures: database backends (SQLite always, PostgreSQL when configured) and an
authenticated HTTP client for the reference CRM."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import CrmClient, ErpClient, crm_client, erp_client

POSTGRES_URL = os.environ.get("COUPLET_TEST_POSTGRES_URL")


def _backends() -> list[object]:
    marks = [] if POSTGRES_URL else [pytest.mark.skip(reason="COUPLET_TEST_POSTGRES_URL not set")]
    return ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, *marks])]


@contextmanager
def fresh_databases(backend: str, directory: Path, names: list[str]) -> Iterator[list[str]]:
    """One fresh, empty database per name on `backend` ("sqlite" or "postgres"), dropped
    afterwards. Tests that run several services (CRM, ERP, engine) need one each."""
    if backend == "sqlite":
        yield [f"sqlite:///{directory}/{name}.db" for name in names]
        return
    assert POSTGRES_URL
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    created = [f"couplet_{uuid.uuid4().hex[:12]}" for _ in names]
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        with admin.connect() as conn:
            for db in created:
                conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
        yield [f"{base}/{db}" for db in created]
    finally:
        sa.orm.close_all_sessions()
        with admin.connect() as conn:
            for db in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of the test: "sqlite", or "postgres" when configured."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    with fresh_databases(backend, tmp_path, ["test"]) as (url,):
        yield url


DatabaseFactory = Callable[[list[str]], list[str]]


@pytest.fixture
def databases(backend: str, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Makes fresh databases on the test's backend by name, all dropped after the test."""
    with ExitStack() as stack:
        yield lambda names: stack.enter_context(fresh_databases(backend, tmp_path, names))


@pytest.fixture
def crm(database_url: str) -> Iterator[CrmClient]:
    with crm_client(database_url) as client:
        yield client


@pytest.fixture
def erp(database_url: str) -> Iterator[ErpClient]:
    with erp_client(database_url) as client:
        yield client
