"""Opening the engine's database and bringing its schema up to date with Alembic."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..engine.errors import ConfigError

if TYPE_CHECKING:  # Alembic loads when an engine database is opened, not for every command
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
KINDS = "sqlite:///FILE or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
    return sa.create_engine(url, pool_pre_ping=True)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revisions() -> frozenset[str]:
    """The revisions a migrated database is at; read from the scripts once per process."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(_config()).get_heads())


def migrate(engine: sa.Engine) -> None:
    """Applies every pending migration (a no-op on an up-to-date database).

    Every command and web request opens the engine, so the up-to-date case is one query on
    `alembic_version` instead of Alembic's full upgrade machinery."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as conn:
        if frozenset(MigrationContext.configure(conn).get_current_heads()) == head_revisions():
            return
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_database(url: str) -> sa.Engine:
    """The engine's database, migrated. A URL that names no usable database, or a server
    that cannot be reached, is a `ConfigError` saying so in one line (with the password
    hidden), not a driver's traceback."""
    shown = _shown(url)
    try:
        engine = make_engine(url)
    except sa.exc.ArgumentError:
        raise ConfigError(
            f"The database URL '{shown}' is not one couplet can use; give {KINDS}."
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot create the database {shown}: {exc.strerror or exc}.") from None
    try:
        migrate(engine)
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
        raise ConfigError(f"Cannot open the database {shown}: {lines[0]}") from None
    return engine


def _shown(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url.split("@")[-1] if "@" in url else url
