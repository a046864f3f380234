"""Shared fixtures: database backends (SQLite always, PostgreSQL when configured) and an
authenticated HTTP client for the reference CRM."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from couplet.apps._common import auth as service_auth
from couplet.store import credentials
from tests.helpers import CrmClient, ErpClient, crm_client, erp_client
from tests.templates import SCHEMAS, postgres_templates, sqlite_templates

POSTGRES_URL = os.environ.get("COUPLET_TEST_POSTGRES_URL")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on the `systems` fixture runs both reference services and the engine: it is
    end to end (marker `e2e`), wherever its module is, so `make test-fast` leaves it out."""
    for item in items:
        if "systems" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


# What a PostgreSQL variant of a test carries: its marker, and a skip without a server.
POSTGRES_MARKS = [
    pytest.mark.postgres,
    *([] if POSTGRES_URL else [pytest.mark.skip(reason="COUPLET_TEST_POSTGRES_URL not set")]),
]


def _backends() -> list[object]:
    return ["sqlite", pytest.param("postgres", marks=POSTGRES_MARKS)]


@cache
def _admin() -> sa.Engine:
    """One connection pool per process to the server's maintenance database."""
    assert POSTGRES_URL
    return sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )


class _Dropper:
    """Drops test databases in batches. A CREATE DATABASE right after a DROP DATABASE waits
    about 0.3 s on the server (measured: 0.03 s otherwise), so dropping after every test
    made each PostgreSQL test's setup ten times slower; a batch of drops costs that once.
    Batches stay small (each database is about 10 MB); `drain` drops the rest."""

    BATCH = 24

    def __init__(self) -> None:
        self._pending: list[str] = []

    def drop(self, names: list[str]) -> None:
        self._pending.extend(names)
        if len(self._pending) >= self.BATCH:
            self.drain()

    def drain(self) -> None:
        if not self._pending:
            return
        with _admin().connect() as conn:
            for name in self._pending:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._pending = []


_dropper = _Dropper()


@contextmanager
def fresh_databases(backend: str, directory: Path, names: list[str]) -> Iterator[list[str]]:
    """One fresh database per name on `backend` ("sqlite" or "postgres"), dropped
    afterwards. Tests that run several services (CRM, ERP, engine) need one each.

    A name that is a schema of `tests.templates.SCHEMAS` ("crm", "erp", "engine") starts as
    a copy of that schema's template; any other name starts empty."""
    if backend == "sqlite":
        for name in names:
            if name in SCHEMAS:
                sqlite_templates.copy(name, directory / f"{name}.db")
        yield [f"sqlite:///{directory}/{name}.db" for name in names]
        return
    assert POSTGRES_URL
    base = POSTGRES_URL.rsplit("/", 1)[0]
    created: list[str] = []
    try:
        with _admin().connect() as conn:
            for name in names:
                db = f"couplet_{uuid.uuid4().hex[:12]}"
                postgres_templates.create(conn, base, name if name in SCHEMAS else None, db)
                created.append(db)
        yield [f"{base}/{db}" for db in created]
    finally:
        sa.orm.close_all_sessions()
        _dropper.drop(created)


@pytest.fixture(scope="session", autouse=True)
def _templates() -> Iterator[None]:
    """Drops this process's template databases when its session ends."""
    yield
    sqlite_templates.remove()
    _dropper.drain()
    if POSTGRES_URL and postgres_templates.built:
        with _admin().connect() as conn:
            postgres_templates.drop(conn)
        _admin().dispose()


class _OneRoundPbkdf2:
    """`hashlib` for the reference services' client secrets, with PBKDF2 at one round."""

    def __getattr__(self, name: str) -> Any:
        return getattr(hashlib, name)

    @staticmethod
    def pbkdf2_hmac(name: str, password: bytes, salt: bytes, _rounds: int) -> bytes:
        return hashlib.pbkdf2_hmac(name, password, salt, 1)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Password and secret hashing at its cheapest. At their real cost (Argon2 for the
    engine's admin, 100,000 PBKDF2 rounds for the services' clients) a hash or check takes a
    quarter and a twentieth of a second on a loaded 2-core machine, and every end-to-end test
    does several. Hashing and checking still go through the same code, so they still agree."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_hasher", PasswordHasher.from_parameters(CHEAPEST))
        patch.setattr(service_auth, "hashlib", _OneRoundPbkdf2())
        yield


def _no_fsync(dbapi_conn: Any, _record: Any) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.execute("PRAGMA synchronous=OFF")


# Durability against power loss is not what the suite tests, and the engine's SQLite
# database (rollback journal, synchronous=FULL) otherwise waits for the disk on every commit.
sa.event.listen(sa.Engine, "connect", _no_fsync)


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
def crm_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the reference CRM's tables (not yet bootstrapped)."""
    with fresh_databases(backend, tmp_path, ["crm"]) as (url,):
        yield url


@pytest.fixture
def erp_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the reference ERP's tables (not yet bootstrapped)."""
    with fresh_databases(backend, tmp_path, ["erp"]) as (url,):
        yield url


@pytest.fixture
def crm(crm_database_url: str) -> Iterator[CrmClient]:
    with crm_client(crm_database_url) as client:
        yield client


@pytest.fixture
def erp(erp_database_url: str) -> Iterator[ErpClient]:
    with erp_client(erp_database_url) as client:
        yield client
