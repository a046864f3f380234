"""Bound actions: `POST …/<set>({id})/Microsoft.NAV.<action>` (docs/protocols.md §B4).

Standard v2.0 actions answer 204 without a body, as Business Central does; where an action
creates a document the new one is named in the `Location` header. The custom group adds
the verbs v2.0 lacks (release, reopen, post shipment or invoice only, archive, apply and
unapply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._common.http import Reply, Request
from .._common.operations import require_privilege
from .._common.records import Tx
from .dialect import BusinessCentralDialect
from .schema import CUSTOM, STANDARD


@dataclass(frozen=True)
class ActionContext:
    dialect: BusinessCentralDialect
    req: Request  # scoped to the company: base_url ends with "companies(<id>)/"
    company_id: str

    def location(self, entity_set: str, key: str) -> dict[str, str]:
        return {"Location": f"{self.req.base_url}{entity_set}({key})"}


Action = Callable[[Tx, ActionContext, dict[str, Any]], Reply]
_REGISTRY: dict[tuple[str, str], tuple[frozenset[str], Action]] = {}


def action(entity: str, name: str, *, standard: bool) -> Callable[[Action], Action]:
    """Registers an action; standard ones are served by both API groups."""
    groups = frozenset({STANDARD, CUSTOM} if standard else {CUSTOM})

    def register(fn: Action) -> Action:
        def guarded(tx: Tx, ctx: ActionContext, row: dict[str, Any]) -> Reply:
            require_privilege(tx, tx.model.entity(entity), "write")
            return fn(tx, ctx, row)

        _REGISTRY[(entity, name)] = (groups, guarded)
        return fn

    return register


def find_action(entity: str, name: str, group: str) -> Action | None:
    found = _REGISTRY.get((entity, name))
    if found is None or group not in found[0]:
        return None
    return found[1]


def actions_of(group: str) -> list[tuple[str, str]]:
    """The (entity, action) pairs an API group serves, for its `$metadata`."""
    return sorted(key for key, (groups, _) in _REGISTRY.items() if group in groups)
