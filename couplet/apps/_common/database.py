"""Database engines for the reference services: SQLite by default, PostgreSQL supported."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .model import Model


def ensure_sqlite_dir(url: str) -> None:
    """Creates the folder of a SQLite database file, so a fresh checkout just works."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def create_schema(engine: sa.Engine, model: Model) -> None:
    with engine.begin() as conn:
        # One catalogue query when every table exists (each start after the first) instead
        # of create_all's query per table.
        present = set(sa.inspect(conn).get_table_names())
        if not set(model.metadata.tables) <= present:
            model.metadata.create_all(conn)
        counter = model.version_counter
        if conn.execute(sa.select(counter.c.id).where(counter.c.id == 1)).first() is None:
            conn.execute(sa.insert(counter).values(id=1, value=0))


class Transactions:
    """Opens transactions; on SQLite they are serialised in-process.

    SQLite allows one writer at a time and answers "database is locked" to the rest; one
    lock per service makes concurrent requests wait their turn instead of failing.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lock = threading.RLock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        if self._lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._lock, self.engine.begin() as conn:
            yield conn
