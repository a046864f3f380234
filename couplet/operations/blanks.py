"""Business Central leaves the currency blank for its local currency (LCY), which the CRM
holds as a currency row with that ISO code: that row stands for blank."""

from __future__ import annotations

from collections.abc import Mapping

from ..engine.connection import Connection
from ..engine.model import Condition, Op, TableMapping
from .systems import Systems

CRM_CURRENCY_TABLE = "transactioncurrencies"


def currency_mapping(mappings: Mapping[str, TableMapping]) -> TableMapping | None:
    """The mapping of currencies. Found by its CRM table for now; the one place to change
    when mappings are looked up by their role."""
    return next((m for m in mappings.values() if m.crm_table == CRM_CURRENCY_TABLE), None)


def blanks(
    systems: Systems, connection: Connection, mappings: Mapping[str, TableMapping]
) -> dict[str, str]:
    """Related mapping -> the CRM id a blank ERP reference stands for."""
    currency = currency_mapping(mappings)
    if currency is None:
        return {}
    found = systems.local_currency(connection)
    if found is None:
        found = _crm_currency(systems, connection, systems.erp(connection).local_currency_code())
        systems.remember_local_currency(connection, found)
    return {currency.name: found} if found else {}


def _crm_currency(systems: Systems, connection: Connection, code: str) -> str:
    if not code:
        return ""
    rows = [
        r
        for page in systems.crm(connection).query(
            CRM_CURRENCY_TABLE, filters=(Condition("isocurrencycode", Op.EQ, code),)
        )
        for r in page
    ]
    return rows[0].id if rows else ""
