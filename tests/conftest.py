"""Shared fixtures: database backends (SQLite always, PostgreSQL when configured) and an
authenticated HTTP client for the reference CRM."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.helpers import CrmClient, ErpClient, crm_client, erp_client

POSTGRES_URL = os.environ.get("COUPLET_TEST_POSTGRES_URL")


def _backends() -> list[object]:
    marks = [] if POSTGRES_URL else [pytest.mark.skip(reason="COUPLET_TEST_POSTGRES_URL not set")]
    return ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, *marks])]


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    assert POSTGRES_URL
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    name = f"couplet_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    sa.orm.close_all_sessions()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def crm(database_url: str) -> Iterator[CrmClient]:
    with crm_client(database_url) as client:
        yield client


@pytest.fixture
def erp(database_url: str) -> Iterator[ErpClient]:
    with erp_client(database_url) as client:
        yield client
