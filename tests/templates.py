"""Template databases: every schema the suite needs is built once per test process and
copied for each test, instead of being created again in every fresh database.

A schema is one of `SCHEMAS`: the engine's state at Alembic head, or the tables of the
reference CRM or ERP before their bootstrap (the services still bootstrap every copy
themselves, so a copy starts exactly like an empty database they had just created). On
SQLite a copy is a file copy; on PostgreSQL it is `CREATE DATABASE … TEMPLATE …`.

Templates are per process (so per xdist worker): nothing is shared between workers, so
there is nothing to lock, and each is dropped when its session ends.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from couplet.apps._common.database import create_schema
from couplet.apps._common.database import make_engine as make_service_engine
from couplet.apps._common.model import Model
from couplet.apps.crm.app import build_model as crm_model
from couplet.apps.erp.app import create_app as create_erp
from couplet.settings import ErpSettings
from couplet.store.db import make_engine, migrate


def _engine_schema(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


def _service_schema(build_model: Callable[[], Model]) -> Callable[[str], None]:
    def build(url: str) -> None:
        engine = make_service_engine(url)
        create_schema(engine, build_model())
        # A PostgreSQL template must have no open connections when it is copied.
        engine.dispose()

    return build


def _erp_schema(url: str) -> None:
    """The ERP's tables and its bootstrap with the default settings (the company and its
    setup, about 130 rows that every ERP app would otherwise write when it starts): what
    the app does when it starts on an empty database."""
    app = create_erp(ErpSettings(database_url=url))
    # A PostgreSQL template must have no open connections when it is copied.
    app.state.engine.dispose()


SCHEMAS: dict[str, Callable[[str], None]] = {
    "engine": _engine_schema,
    "crm": _service_schema(crm_model),
    "erp": _erp_schema,
}


class SqliteTemplates:
    """Template files in a directory of this process, copied next to the test's files."""

    def __init__(self) -> None:
        self._directory: Path | None = None
        self._built: dict[str, Path] = {}

    def copy(self, schema: str, target: Path) -> None:
        if schema not in self._built:
            if self._directory is None:
                self._directory = Path(tempfile.mkdtemp(prefix="couplet-templates-"))
            path = self._directory / f"{schema}.db"
            SCHEMAS[schema](f"sqlite:///{path}")
            self._built[schema] = path
        shutil.copyfile(self._built[schema], target)

    def remove(self) -> None:
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
        self._directory, self._built = None, {}


class PostgresTemplates:
    """Template databases on the test server, named uniquely for this process."""

    def __init__(self) -> None:
        self._built: dict[str, str] = {}
        self._tag = uuid.uuid4().hex[:8]

    def create(self, admin: sa.Connection, base: str, schema: str | None, name: str) -> None:
        """Creates database `name`: empty, or a copy of `schema`'s template."""
        if schema is None:
            admin.execute(sa.text(f'CREATE DATABASE "{name}"'))
            return
        if schema not in self._built:
            template = f"couplet_template_{schema}_{self._tag}"
            admin.execute(sa.text(f'CREATE DATABASE "{template}"'))
            SCHEMAS[schema](f"{base}/{template}")
            self._built[schema] = template
        # FILE_COPY copies the files after a checkpoint, which costs next to nothing on a test
        # server (fsync off): about half the time of the default WAL_LOG, block by block.
        admin.execute(
            sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self._built[schema]}" STRATEGY FILE_COPY')
        )

    @property
    def built(self) -> bool:
        return bool(self._built)

    def drop(self, admin: sa.Connection) -> None:
        for template in self._built.values():
            admin.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        self._built = {}


sqlite_templates = SqliteTemplates()
postgres_templates = PostgresTemplates()
