"""Id/code pairs: a client may name a referenced record by its id or by its code/number;
the server fills in the other, as Business Central's API pages do. An unknown id or code is
a 400 naming the field (docs/protocols.md, contract details)."""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError
from .._common.records import Tx
from .schema import Table


def unknown(field: str, value: Any, target_set: str) -> ODataError:
    return ODataError(
        400,
        f"The field {field} refers to a record in {target_set} that does not exist: '{value}'.",
        "BadRequest_NotFound",
        target=field,
    )


def lookup(tx: Tx, entity: str, company_id: str, **equals: Any) -> dict[str, Any] | None:
    return tx.first(entity, companyId=company_id, **equals)


def resolve_pairs(
    tx: Tx,
    table: Table,
    target_sets: dict[str, str],
    values: dict[str, Any],
    company_id: str,
) -> None:
    """Completes each pair touched by `values` (changes on update, all values on insert)."""
    for pair in table.pairs:
        target_set = target_sets[pair.target]
        if pair.id_field in values:
            key = values[pair.id_field]
            if key is None:
                if pair.code_field and pair.code_field not in values:
                    values[pair.code_field] = ""
                continue
            row = tx.get(pair.target, key)
            if row is None or row.get("companyId") != company_id:
                raise unknown(pair.id_field, key, target_set)
            if pair.code_field:
                values[pair.code_field] = row[pair.target_code]
        elif pair.code_field and pair.code_field in values:
            code = values[pair.code_field]
            if not code:
                values[pair.id_field] = None
                values[pair.code_field] = ""
                continue
            row = lookup(tx, pair.target, company_id, **{pair.target_code: code})
            if row is None:
                raise unknown(pair.code_field, code, target_set)
            values[pair.id_field] = row["id"]
