"""CRM sales documents for end-to-end tests: a quote or an order with lines, made ready for
the back office (an active quote, a submitted order)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Systems

SETS = {"quote": ("quotes", "quotedetails"), "salesorder": ("salesorders", "salesorderdetails")}


def crm_document(
    systems: Systems,
    kind: str,
    account_id: str,
    *,
    lines: list[dict[str, Any]],
    **header: Any,
) -> dict[str, Any]:
    """A CRM `kind` ("quote" or "salesorder") for the account with these lines, moved to
    state 1 (an active quote, a submitted order); the row as the CRM then holds it."""
    crm = systems.crm
    entity_set, line_set = SETS[kind]
    key = f"{kind}id"
    document = crm.create(
        entity_set, {"customerid_account@odata.bind": f"/accounts({account_id})", **header}
    )
    for line in lines:
        crm.create(line_set, {f"{key}@odata.bind": f"/{entity_set}({document[key]})", **line})
    assert crm.patch(f"{entity_set}({document[key]})", {"statecode": 1}).status_code == 204
    return crm.row(entity_set, document[key])
