"""State and status codes: defaults, valid pairs and allowed transitions per table.

The values are Dataverse's (docs/protocols.md §A3). Transitions that Dataverse only allows
through a message (winning or closing a quote) are refused on a plain PATCH and done by the
actions in `actions.py`.
"""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError, validation
from .schema import Table

INVALID_STATE = "0x8004f81e"
READ_ONLY_MESSAGE = "The entity cannot be updated because it is read-only."

# Allowed statecode changes by PATCH, per table; tables not listed allow any change.
TRANSITIONS: dict[str, dict[int, set[int]]] = {
    "salesorder": {0: {1, 2, 3, 4}, 1: {0, 2, 3, 4}, 2: {0}, 3: {0, 4}, 4: set()},
    "quote": {0: {1}, 1: set(), 2: set(), 3: set()},
    "invoice": {0: {2, 3}, 1: {0}, 2: {0}, 3: {0}},
    "opportunity": {0: {1, 2}, 1: {0}, 2: {0}},
}


def apply_state_on_create(spec: Table, values: dict[str, Any]) -> None:
    if spec.states is None:
        return
    state = values.get("statecode")
    if state is None:
        state = values["statecode"] = 0
    _check_pair(spec, state, values)


def _check_pair(spec: Table, state: int, values: dict[str, Any]) -> None:
    assert spec.states is not None
    if state not in spec.states:
        raise validation(f"{state} is not a valid state code on {spec.entity.name}.", "statecode")
    default, allowed = spec.states[state]
    status = values.get("statuscode")
    if status is None:
        values["statuscode"] = default
    elif status not in allowed:
        raise validation(
            f"{status} is not a valid status code (statuscode) for state code "
            f"{spec.entity.name}State."
            f"{state} on {spec.entity.name}.",
            "statuscode",
        )


def apply_state_on_update(spec: Table, old: dict[str, Any], changes: dict[str, Any]) -> None:
    """Validates a state/status change and fills the default status of a new state."""
    if spec.states is None or ("statecode" not in changes and "statuscode" not in changes):
        return
    name = spec.entity.name
    old_state = old["statecode"]
    new_state = changes.get("statecode", old_state)
    if new_state != old_state:
        allowed = TRANSITIONS.get(name, {}).get(old_state)
        if allowed is not None and new_state not in allowed:
            raise ODataError(
                400, _refusal(name, old_state, new_state), INVALID_STATE, target="statecode"
            )
    elif name == "invoice" and old_state in (2, 3):
        raise ODataError(400, READ_ONLY_MESSAGE, INVALID_STATE)
    values = {"statuscode": changes.get("statuscode")}
    _check_pair(spec, new_state, values)
    changes["statuscode"] = values["statuscode"]


def _refusal(name: str, old: int, new: int) -> str:
    if name == "quote" and new == 2:
        return "A quote can only be won with the WinQuote message."
    if name == "quote" and new == 3:
        return "A quote can only be closed with the CloseQuote message."
    if name == "quote" and new == 0:
        return "An active quote cannot be set back to draft; revise it with ReviseQuote."
    if name == "invoice" and new == 2 and old == 3:
        return "The invoice cannot be paid because it is not in active state."
    if name == "invoice" and old == 2 and new == 2:
        return READ_ONLY_MESSAGE
    return f"The {name} cannot change from state {old} to state {new}."
