"""Migration 0005: mapping documents stored before roles existed get their default's role."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from couplet.engine import catalogue
from couplet.engine.connection import Features
from couplet.engine.roles import FullSyncPolicy, Role
from couplet.store import tables as t
from couplet.store.db import MIGRATIONS, make_engine, migrate

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _upgrade_to(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_stored_default_documents_get_their_roles(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/engine.db")
    _upgrade_to(engine, "0004")
    old = []
    for doc in catalogue.default_documents(Features()):
        # What was stored before: no role, no policy.
        old.append({k: v for k, v in doc.items() if k not in ("role", "full_sync")})
    old.append({**old[-1], "name": "MY OWN"})  # a mapping of the user's keeps no role
    with engine.begin() as conn:
        conn.execute(
            sa.insert(t.mapping),
            [
                {"name": d["name"], "position": i, "document": d, "updated_at": NOW}
                for i, d in enumerate(old)
            ],
        )
    migrate(engine)
    with engine.connect() as conn:
        stored = {r.name: r.document for r in conn.execute(sa.select(t.mapping))}
    assert stored["CUSTOMER"]["role"] == Role.CUSTOMER.value
    assert stored["SALESPEOPLE"]["full_sync"] == FullSyncPolicy.COPY_ALL.value
    assert "role" not in stored["MY OWN"]
    defaults = catalogue.load(catalogue.default_documents(Features()))
    loaded = catalogue.load([d for n, d in stored.items() if n != "MY OWN"])
    assert {n: (m.role, m.full_sync) for n, m in loaded.items()} == {
        n: (m.role, m.full_sync) for n, m in defaults.items()
    }
