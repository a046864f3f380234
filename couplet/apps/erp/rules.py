"""The ERP's server-side rules, run by every client write (and by nothing internal).

Generic Business Central behaviour lives here: blank values instead of nulls, id/code
pairs, number series, unique numbers and codes per company. Entity-specific rules come
from the domain modules' `HOOKS`; work that many writes share (statistics, availability,
webhook notifications) is deferred to `before_commit`, once per transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._common.errors import ODataError
from .._common.model import EntityDef
from .._common.records import Tx
from . import (
    catalog,
    currencies,
    document_lines,
    documents,
    inventory,
    journals,
    opportunities,
    parties,
    statistics,
    webhooks,
)
from .blanks import blank, fill_blanks
from .hooks import Hooks
from .numbering import next_code
from .references import resolve_pairs
from .schema import Table

HOOKS: dict[str, Hooks] = {
    **parties.HOOKS,
    **opportunities.HOOKS,
    **catalog.HOOKS,
    **currencies.HOOKS,
    **documents.HOOKS,
    **document_lines.HOOKS,
    **journals.HOOKS,
    **inventory.HOOKS,
}
_UNIQUE = ("number", "code")


class ErpRules:
    def __init__(
        self, tables: dict[str, Table], outbox_written: Callable[[], None] = lambda: None
    ) -> None:
        self.tables = tables
        # Called when a transaction wrote webhook outbox rows (wakes the notifier).
        self.outbox_written = outbox_written
        self.target_sets = {name: t.entity.entity_set for name, t in tables.items()}

    def before_insert(self, tx: Tx, entity: EntityDef, values: dict[str, Any]) -> None:
        table = self.tables[entity.name]
        company = values.get("companyId")
        if table.company_scoped:
            if not company:
                raise ODataError(400, "The record must belong to a company.", "BadRequest")
            resolve_pairs(tx, table, self.target_sets, values, company)
        if table.number_series and not values.get("number") and company:
            values["number"] = next_code(tx, company, table.number_series)
        if entity.name == "salesperson" and not values.get("code") and company:
            # Salespeople created from CRM users get "SP NO. 00001", "SP NO. 00002", ... as
            # Business Central's integration numbers them (docs/behaviour.md §1.2).
            values["code"] = next_code(tx, company, "SP")
        hooks = HOOKS.get(entity.name)
        if hooks and hooks.before_insert:
            hooks.before_insert(tx, values)
        self._check_unique(tx, table, values, None)
        fill_blanks(entity, values)

    def before_update(
        self, tx: Tx, entity: EntityDef, old: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        table = self.tables[entity.name]
        if "companyId" in changes and changes["companyId"] != old.get("companyId"):
            raise ODataError(400, "A record cannot move to another company.", "BadRequest")
        if table.company_scoped:
            resolve_pairs(tx, table, self.target_sets, changes, old["companyId"])
        hooks = HOOKS.get(entity.name)
        if hooks and hooks.before_update:
            hooks.before_update(tx, old, changes)
        self._check_unique(tx, table, {**old, **changes}, old)
        for name, value in list(changes.items()):
            f = entity.field(name)
            if value is None and f is not None:
                changes[name] = blank(f)

    def before_delete(self, tx: Tx, entity: EntityDef, row: dict[str, Any]) -> None:
        hooks = HOOKS.get(entity.name)
        if hooks and hooks.before_delete:
            hooks.before_delete(tx, row)

    def after_write(
        self, tx: Tx, entity: EntityDef, row: dict[str, Any] | None, old: dict[str, Any] | None
    ) -> None:
        hooks = HOOKS.get(entity.name)
        if hooks and hooks.after_write:
            hooks.after_write(tx, row, old)
        webhooks.record_change(tx, entity, row, old)

    def before_commit(self, tx: Tx) -> None:
        statistics.flush(tx)
        if webhooks.flush(tx):
            self.outbox_written()

    def _check_unique(
        self, tx: Tx, table: Table, values: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        e = table.entity
        # A code that names another record (an item's unit "BOX") identifies nothing here;
        # such rows are unique within their owner, which their own rules check.
        references = {p.code_field for p in table.pairs}
        for name in _UNIQUE:
            f = e.field(name)
            value = values.get(name)
            if f is None or f.read_only or not value or not table.company_scoped:
                continue
            if name in references:
                continue
            if old is not None and old.get(name) == value:
                continue
            clash = tx.first(e.name, companyId=values["companyId"], **{name: value})
            if clash is not None and clash["id"] != values.get("id"):
                raise ODataError(
                    400,
                    f"The record in table {e.entity_set} already exists. Identification "
                    f"fields and values: {name}='{value}'",
                    "Internal_EntityWithSameKeyExists",
                    target=name,
                )
