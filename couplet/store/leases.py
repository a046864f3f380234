"""Leases in SQL: at most one holder per name (a mapping), across processes and machines.

A lease is a row: who holds it (`holder`, unique per acquisition), what people are told runs
(`job`), when it was taken and last renewed, and when it expires. The holder's heartbeat
(`jobs/lease.py`) pushes `expires_at` forward while its run is alive, so a run is never
freed by its age, only when its heartbeat has stopped for the whole time to live
(docs/operations.md, "One run per mapping").

Taking a lease is one transaction per set of names, all or nothing, names in sorted order
(two takers of overlapping sets never wait on each other in a cycle):

- `INSERT … ON CONFLICT (name) DO NOTHING` takes a free name; on PostgreSQL a concurrent
  insert of the same name waits for the other transaction and then does nothing, so two
  takers never both win;
- otherwise `UPDATE … WHERE name = ? AND expires_at < now` takes over an expired lease,
  atomically (the row is locked by the update, and the condition re-checked on PostgreSQL).

Rows rather than PostgreSQL advisory locks: an advisory lock lives as long as a database
session, so a run would have to keep one connection checked out for hours (and it would be
lost silently behind a pooler); it cannot say which job holds it; and SQLite has none. A row
works the same on both databases, and shows who holds what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from . import tables as t

Lease = t.lease


class SqlLeases:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert

    def acquire(
        self, names: Sequence[str], holder: str, job: str, now: dt.datetime, ttl: dt.timedelta
    ) -> tuple[str, str] | None:
        """Takes every name for `holder`, or none: None when taken, else the first name
        held by someone else and the job holding it."""
        values = {"holder": holder, "job": job, "acquired_at": now, "renewed_at": now}
        with self.engine.connect() as conn, conn.begin() as tx:
            for name in sorted(set(names)):
                if not self._take(conn, name, {**values, "expires_at": now + ttl}, now):
                    held = conn.execute(
                        sa.select(Lease.c.job).where(Lease.c.name == name)
                    ).scalar_one_or_none()
                    tx.rollback()
                    return name, held or "another job"
        return None

    def _take(self, conn: sa.Connection, name: str, values: dict[str, object], now: object) -> bool:
        # RETURNING says whether the row went in (psycopg reports no row count for an
        # insert that may do nothing).
        inserted = conn.execute(
            self._insert(Lease)
            .values(name=name, **values)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(Lease.c.name)
        ).first()
        if inserted is not None:
            return True
        taken = conn.execute(
            sa.update(Lease).where(Lease.c.name == name, Lease.c.expires_at < now).values(**values)
        )
        return taken.rowcount == 1

    def renew(self, names: Sequence[str], holder: str, now: dt.datetime, ttl: dt.timedelta) -> int:
        """The holder's heartbeat: how many of its leases it still held and renewed."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(Lease)
                .where(Lease.c.name.in_(list(names)), Lease.c.holder == holder)
                .values(renewed_at=now, expires_at=now + ttl)
            )
            return int(result.rowcount or 0)

    def release(self, names: Sequence[str], holder: str) -> None:
        """Gives the holder's leases back (a lease taken over meanwhile is left alone)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(Lease).where(Lease.c.name.in_(list(names)), Lease.c.holder == holder)
            )

    def held(self) -> dict[str, str]:
        """Every lease: name -> the job holding it (expired ones too, until taken over)."""
        with self.engine.connect() as conn:
            return {r.name: r.job for r in conn.execute(sa.select(Lease.c.name, Lease.c.job))}
