"""Setting up the connection: store it, check it, enable synchronization, and switch sales
order integration, the same for `couplet setup`, `/api/v1/connection` and the admin page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..connectors.sign_in import Check
from ..engine import catalogue as engine_catalogue
from ..engine.connection import Connection, Features, merged
from ..engine.errors import ConfigError
from ..flows.orders import integration as order_integration
from . import catalogue
from .context import connection, context
from .parts import Parts
from .scheduling import schedule_flows


class ConnectionInputError(ConfigError):
    """The values given for the connection are incomplete or invalid (the input is wrong,
    not the setup: the REST API answers 422)."""


@dataclass(frozen=True)
class Enabled:
    connection: Connection
    # The default mappings created (none when mappings existed already).
    created_mappings: list[str]
    # False when synchronization was enabled already (its jobs were only refreshed).
    newly: bool


def save(
    parts: Parts,
    values: Mapping[str, str | None],
    switches: Mapping[str, bool | None],
) -> Connection:
    """Stores the stored connection changed by the values and switches (None and blank
    keep a value). Switching sales order integration on an enabled connection sets the
    CRM organization's flag and adds the order mappings and jobs; switching it off is
    refused (ConfigError) while submitted CRM orders wait to be created, else clears the
    flag and removes them. An enabled connection's flow jobs follow its switches."""
    stored = parts.config.connection()
    try:
        changed = merged(stored, dict(values), dict(switches))
    except ConfigError as exc:
        raise ConnectionInputError(str(exc)) from None
    before = bool(stored and stored.enabled and stored.features.sales_order_integration)
    after = changed.enabled and changed.features.sales_order_integration
    if before and not after:
        order_integration.check_switch_off(context(parts))
    parts.config.save_connection(changed, parts.clock())
    if changed.enabled:
        if before != after:
            _switch_order_integration(parts, changed.features, after)
        schedule_flows(parts)
    return changed


def enable(parts: Parts) -> Enabled:
    """Enables synchronization: the first time, the default mappings and their job queue
    entries are created. Either way the flow jobs the features switch on are scheduled,
    so enabling again repairs a queue that lost them."""
    current = connection(parts)
    created: list[str] = []
    newly = not current.enabled
    if newly:
        current = replace(current, enabled=True)
        parts.config.save_connection(current, parts.clock())
        created = [] if parts.config.mapping_documents() else catalogue.reset(parts)
        if current.features.sales_order_integration:
            _switch_order_integration(parts, current.features, True)
    schedule_flows(parts)
    return Enabled(current, created, newly)


def check(parts: Parts) -> list[Check]:
    """Signs in to both systems with the stored connection and checks the ERP company."""
    return parts.check_sign_in(connection(parts))


def _switch_order_integration(parts: Parts, features: Features, on: bool) -> None:
    order_integration.set_crm_flag(parts.systems.crm(connection(parts)), on)
    # The mappings sales order integration brings (SALESORDER-ORDER in the defaults), known
    # by their roles: a person may have renamed them.
    without = catalogue.default_names(replace(features, sales_order_integration=False))
    brought = {
        d["name"]: d.get("role")
        for d in engine_catalogue.default_documents(replace(features, sales_order_integration=True))
        if d["name"] not in without
    }
    present = {d.get("role"): d["name"] for d in parts.config.mapping_documents()}
    if on:
        missing = [name for name, role in brought.items() if role not in present]
        if missing:
            catalogue.reset(parts, missing)
    else:
        catalogue.remove(parts, [present[r] for r in brought.values() if r in present])
