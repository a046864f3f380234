"""Dataverse's bulk operation messages, bound to a table's entity set:
`POST accounts/Microsoft.Dynamics.CRM.CreateMultiple` (and `UpdateMultiple`, `UpsertMultiple`)
with `{"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", ...}, ...]}`.

Each target goes through the same decoding, validation and rules as a single write, inside
the request's one transaction: the first failure refuses the whole call and nothing is
written, as Dataverse does (docs/protocols.md §A15).
"""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError, bad_request, not_found
from .._common.http import Reply, Request
from .._common.model import EntityDef
from .._common.operations import require_privilege
from .._common.records import Tx
from .._common.types import parse_guid
from .dataverse import DataverseDialect, key_pairs

PREFIX = "Microsoft.Dynamics.CRM."
# Message -> the complex type it answers (None: 204 No Content, as Dataverse answers them).
BULK_MESSAGES: dict[str, str | None] = {
    "CreateMultiple": "CreateMultipleResponse",
    "UpdateMultiple": None,
    "UpsertMultiple": None,
}
# Tables the messages are not available for: the intersect table of users and roles (written
# through associations only), the organization (never created by clients) and posts (which
# Dataverse creates and deletes but does not update, and has no bulk messages for).
NOT_AVAILABLE = frozenset({"systemuserroles", "organization", "post"})
INVALID_ARGUMENT = "0x80040203"


def handles(segment: str) -> bool:
    return segment.startswith(PREFIX) and segment[len(PREFIX) :] in BULK_MESSAGES


def run(tx: Tx, dialect: DataverseDialect, entity: EntityDef, segment: str, req: Request) -> Reply:
    message = segment[len(PREFIX) :]
    if req.method != "POST":
        raise ODataError(405, f"{message} is an action; use POST.")
    if entity.name in NOT_AVAILABLE:
        raise ODataError(
            400,
            f"The message '{message}' is not available for the table '{entity.name}'.",
            INVALID_ARGUMENT,
        )
    require_privilege(tx, entity, "write")
    targets = _targets(req.json(), entity)
    if message == "CreateMultiple":
        ids = [_create(tx, dialect, entity, t) for t in targets]
        return Reply(
            200,
            {
                "@odata.context": f"{req.base_url}$metadata#{PREFIX}CreateMultipleResponse",
                "Ids": ids,
            },
        )
    done: set[str] = set()
    for target in targets:
        if message == "UpdateMultiple":
            key = _own_key(entity, target)
            if key is None:
                raise bad_request(
                    f"Each target of UpdateMultiple needs its primary key '{entity.key}'.",
                    target=entity.key,
                )
            # Dataverse updates the first of several targets with one key and ignores the rest.
            if key in done:
                continue
            if tx.get(entity.name, key) is None:
                raise not_found(entity.name, key)
            tx.update(entity.name, key, _values(tx, dialect, entity, target))
            done.add(key)
        else:
            _upsert(tx, dialect, entity, target)
    return Reply(204)


def _targets(body: dict[str, Any], entity: EntityDef) -> list[dict[str, Any]]:
    targets = body.get("Targets")
    if not isinstance(targets, list) or not targets:
        raise bad_request("The parameter 'Targets' must be a non-empty array.", target="Targets")
    expected = PREFIX + entity.name
    for target in targets:
        if not isinstance(target, dict):
            raise bad_request("Each item of 'Targets' must be a JSON object.", target="Targets")
        kind = str(target.get("@odata.type") or "").lstrip("#")
        if not kind:
            raise bad_request(
                "Each item of 'Targets' needs the '@odata.type' annotation.", target="Targets"
            )
        if kind != expected:
            raise bad_request(
                f"The type '{kind}' of an item of 'Targets' is not '{expected}', the type of "
                f"the entity set '{entity.entity_set}'.",
                INVALID_ARGUMENT,
                target="Targets",
            )
    return targets


def _own_key(entity: EntityDef, target: dict[str, Any]) -> str | None:
    raw = target.get(entity.key)
    return None if raw is None else parse_guid(raw, entity.key)


def _values(
    tx: Tx, dialect: DataverseDialect, entity: EntityDef, target: dict[str, Any]
) -> dict[str, Any]:
    # The key names the row (or the new row's id); it is not a value to write.
    return dialect.decode(tx, entity, {k: v for k, v in target.items() if k != entity.key})


def _create(tx: Tx, dialect: DataverseDialect, entity: EntityDef, target: dict[str, Any]) -> str:
    values = _values(tx, dialect, entity, target)
    key = _own_key(entity, target)
    if key is not None:
        values[entity.key] = key
    return str(tx.insert(entity.name, values)[entity.key])


def _upsert(tx: Tx, dialect: DataverseDialect, entity: EntityDef, target: dict[str, Any]) -> None:
    """A target names its row by `@odata.id` (`accounts(accountnumber='A1')` or
    `accounts(<id>)`) or by its primary key; a row that does not exist is created."""
    key, alternate = _own_key(entity, target), {}
    ref = target.get("@odata.id")
    if key is None and isinstance(ref, str):
        inner = ref.rstrip("/").split("/")[-1]
        if not inner.startswith(entity.entity_set + "(") or not inner.endswith(")"):
            raise bad_request(f"'{ref}' does not name a row of '{entity.entity_set}'.")
        text = inner[len(entity.entity_set) + 1 : -1]
        try:
            key = dialect.resolve_key(tx, entity, text)
        except ODataError as err:
            if err.status != 404 or "=" not in text:
                raise
            alternate = {k: dialect.decode_value(entity, k, v) for k, v in key_pairs(text)}
    values = _values(tx, dialect, entity, target)
    if key is not None and tx.get(entity.name, key) is not None:
        tx.update(entity.name, key, values)
        return
    if key is None and not alternate:
        raise bad_request(
            f"Each target of UpsertMultiple needs '@odata.id' or its primary key '{entity.key}'."
        )
    values.update(alternate)
    if key is not None:
        values[entity.key] = key
    tx.insert(entity.name, values)
