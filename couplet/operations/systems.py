"""The connectors for the stored connection, rebuilt when its URLs or credentials change.

Keyed by what the connectors are built from, so a connection saved by `setup` (or by another
process) is signed in to afresh, while switching a feature keeps the signed-in connectors.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.connection import Connection
from .ports import ConnectSystems, CrmSystem, ErpSystem


def _key(c: Connection) -> tuple[str, ...]:
    return (
        c.crm_url,
        c.crm_client_id,
        c.crm_client_secret,
        c.erp_url,
        c.erp_client_id,
        c.erp_client_secret,
        c.erp_company,
        *(
            v or ""
            for v in (
                c.crm_authority,
                c.crm_scope,
                c.crm_certificate,
                c.erp_authority,
                c.erp_scope,
                c.erp_certificate,
            )
        ),
    )


@dataclass
class _Built:
    key: tuple[str, ...]
    crm: CrmSystem
    erp: ErpSystem
    # The CRM currency row standing for the ERP's local currency (see blanks.py); "" when
    # there is none, None until looked up.
    local_currency: str | None = None


class Systems:
    def __init__(self, connect: ConnectSystems) -> None:
        self._connect = connect
        self._built: _Built | None = None

    def _for(self, connection: Connection) -> _Built:
        key = _key(connection)
        if self._built is None or self._built.key != key:
            crm, erp = self._connect(connection)
            self._built = _Built(key, crm, erp)
        return self._built

    def crm(self, connection: Connection) -> CrmSystem:
        return self._for(connection).crm

    def erp(self, connection: Connection) -> ErpSystem:
        return self._for(connection).erp

    def local_currency(self, connection: Connection) -> str | None:
        return self._for(connection).local_currency

    def remember_local_currency(self, connection: Connection, crm_id: str) -> None:
        self._for(connection).local_currency = crm_id
