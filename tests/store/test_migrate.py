"""`migrate`'s fast path: a database at head is left alone, one behind head is upgraded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from couplet.store.db import MIGRATIONS, head_revisions, make_engine, migrate


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _heads(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def test_a_database_at_head_is_not_upgraded_again(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(engine)
    assert _heads(engine) == set(head_revisions())

    def upgrade(*_: object) -> None:
        raise AssertionError("migrate ran Alembic's upgrade on a database at head")

    monkeypatch.setattr(command, "upgrade", upgrade)
    migrate(engine)


def test_a_database_behind_head_is_upgraded(engine: sa.Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    assert _heads(engine) == {"0003"}
    migrate(engine)
    assert _heads(engine) == set(head_revisions())
