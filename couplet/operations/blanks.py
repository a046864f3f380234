"""Business Central leaves the currency blank for its local currency (LCY), which the CRM
holds as a currency row with that ISO code: that row stands for blank."""

from __future__ import annotations

from collections.abc import Mapping

from ..engine import roles
from ..engine.connection import Connection
from ..engine.model import Condition, Op, TableMapping
from ..engine.roles import Role
from .systems import Systems


def blanks(
    systems: Systems, connection: Connection, mappings: Mapping[str, TableMapping]
) -> dict[str, str]:
    """Related mapping -> the CRM id a blank ERP reference stands for."""
    currency = roles.find(mappings, Role.CURRENCY)
    if currency is None:
        return {}
    found = systems.local_currency(connection)
    if found is None:
        code = systems.erp(connection).local_currency_code()
        found = _crm_currency(systems, connection, currency.crm_table, code)
        systems.remember_local_currency(connection, found)
    return {currency.name: found} if found else {}


def _crm_currency(systems: Systems, connection: Connection, table: str, code: str) -> str:
    if not code:
        return ""
    rows = [
        r
        for page in systems.crm(connection).query(
            table, filters=(Condition("isocurrencycode", Op.EQ, code),)
        )
        for r in page
    ]
    return rows[0].id if rows else ""
