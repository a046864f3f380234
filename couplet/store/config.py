"""The stored connection setup (secrets encrypted) and mapping documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ..engine.connection import Connection, Features
from . import tables as t
from .secrets import SecretBox


class SqlConfig:
    def __init__(self, engine: sa.Engine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box

    def connection(self) -> Connection | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.connection).where(t.connection.c.id == 1)).first()
        if row is None:
            return None
        return Connection(
            crm_url=row.crm_url,
            crm_client_id=row.crm_client_id,
            crm_client_secret=self.box.open(row.crm_secret),
            erp_url=row.erp_url,
            erp_client_id=row.erp_client_id,
            erp_client_secret=self.box.open(row.erp_secret),
            erp_company=row.erp_company,
            crm_integration_user=row.crm_integration_user,
            enabled=bool(row.enabled),
            features=Features(**dict(row.options or {})),
            crm_authority=row.crm_authority,
            crm_scope=row.crm_scope,
            crm_certificate=self._open(row.crm_certificate),
            erp_authority=row.erp_authority,
            erp_scope=row.erp_scope,
            erp_certificate=self._open(row.erp_certificate),
        )

    def save_connection(self, connection: Connection, now: dt.datetime) -> None:
        values = {
            "crm_url": connection.crm_url,
            "crm_client_id": connection.crm_client_id,
            "crm_secret": self.box.seal(connection.crm_client_secret),
            "erp_url": connection.erp_url,
            "erp_company": connection.erp_company,
            "erp_client_id": connection.erp_client_id,
            "erp_secret": self.box.seal(connection.erp_client_secret),
            "crm_integration_user": connection.crm_integration_user,
            "enabled": connection.enabled,
            "options": dict(connection.features.__dict__),
            "updated_at": now,
            "crm_authority": connection.crm_authority,
            "crm_scope": connection.crm_scope,
            "crm_certificate": self._seal(connection.crm_certificate),
            "erp_authority": connection.erp_authority,
            "erp_scope": connection.erp_scope,
            "erp_certificate": self._seal(connection.erp_certificate),
        }
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.connection).where(t.connection.c.id == 1))
            conn.execute(sa.insert(t.connection).values(id=1, **values))

    def _seal(self, secret: str | None) -> str | None:
        return self.box.seal(secret) if secret else None

    def _open(self, sealed: str | None) -> str | None:
        return self.box.open(sealed) if sealed else None

    # -- mapping documents ----------------------------------------------------------------

    def mapping_documents(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.mapping).order_by(t.mapping.c.position, t.mapping.c.name)
            )
            return [dict(r.document) for r in rows]

    def save_mapping_documents(
        self, documents: Sequence[Mapping[str, Any]], now: dt.datetime
    ) -> None:
        """Replaces the whole set of mappings (import, reset) in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.mapping))
            if documents:
                conn.execute(
                    sa.insert(t.mapping),
                    [
                        {"name": d["name"], "position": i, "document": dict(d), "updated_at": now}
                        for i, d in enumerate(documents)
                    ],
                )
