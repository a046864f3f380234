"""Opening the engine's database and bringing its schema up to date with Alembic."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
    return sa.create_engine(url, pool_pre_ping=True)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revisions() -> frozenset[str]:
    """The revisions a migrated database is at; read from the scripts once per process."""
    return frozenset(ScriptDirectory.from_config(_config()).get_heads())


def migrate(engine: sa.Engine) -> None:
    """Applies every pending migration (a no-op on an up-to-date database).

    Every command and web request opens the engine, so the up-to-date case is one query on
    `alembic_version` instead of Alembic's full upgrade machinery."""
    with engine.begin() as conn:
        if frozenset(MigrationContext.configure(conn).get_current_heads()) == head_revisions():
            return
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
