"""Maps Dataverse Web API paths to operations: the service document, entity sets, keys,
`$count`, navigation, `$ref`, `$metadata`, `WhoAmI`, the bulk and the sales messages."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

from .._common import operations as ops
from .._common.errors import ODataError, bad_request, not_found
from .._common.http import Reply, Request
from .._common.model import EntityDef
from .._common.records import Tx
from .._common.types import json_value
from . import availability, bulk
from .actions import ACTIONS
from .csdl import csdl, service_document
from .dataverse import DataverseDialect, key_pairs
from .metadata_api import MetadataApi

_PATH = re.compile(
    r"^(?P<set>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>(?:[^()']|'(?:[^']|'')*')*)\))?"
    r"(?:/(?P<rest>.*))?$"
)
_NAV = re.compile(r"^(?P<nav>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>[^()]*)\))?(?:/(?P<ref>\$ref))?$")
ORGANIZATION_BU = "00000000-0000-0000-0000-00000000b0b0"
# Dataverse's own query options that are not `$` system options; the reference CRM does not
# implement them, and answers 400 rather than ignoring them (and returning every row).
DATAVERSE_QUERIES = ("fetchXml", "savedQuery", "userQuery")


class CrmRouter:
    def __init__(
        self,
        dialect: DataverseDialect,
        metadata_api: MetadataApi,
        http_clients: availability.HttpClientFactory = availability.default_client,
    ) -> None:
        self.dialect = dialect
        self.metadata_api = metadata_api
        self.model = dialect.model
        # How the CRM reaches the ERP for the integration's custom API (tests inject it).
        self.http_clients = http_clients

    def __call__(self, tx: Tx, req: Request) -> Reply:
        path = req.path.strip("/")
        if path in ("", "$metadata"):
            if req.method != "GET":
                raise ODataError(405, "Only GET is allowed here.")
            if path == "":
                return Reply(200, service_document(self.model, req.base_url))
            xml = csdl(self.model, self.dialect.tables)
            return Reply(200, raw=xml.encode(), content_type="application/xml")
        if path in ("WhoAmI", "WhoAmI()"):
            org = tx.conn.execute(
                sa.select(self.model.table("organization").c.organizationid)
            ).scalar()
            return Reply(
                200,
                {
                    "@odata.context": f"{req.base_url}$metadata#Microsoft.Dynamics.CRM."
                    "WhoAmIResponse",
                    "UserId": tx.principal.id,
                    "BusinessUnitId": ORGANIZATION_BU,
                    "OrganizationId": org,
                },
            )
        if availability.handles(path):
            return availability.item_availability(tx, req, self.http_clients)
        if self.metadata_api.handles(path):
            return self.metadata_api(tx, req)
        if path in ACTIONS:
            if req.method != "POST":
                raise ODataError(405, f"{path} is an action; use POST.")
            return ACTIONS[path](tx, self.dialect, req)
        _refuse_custom_options(req)
        match = _PATH.match(path)
        entity = self.model.by_set.get(match.group("set")) if match else None
        if match is None or entity is None:
            segment = path.split("/")[0].split("(")[0]
            raise ODataError(404, f"Resource not found for the segment '{segment}'.", "0x80060888")
        key_text, rest = match.group("key"), match.group("rest")
        if key_text is None:
            return self._collection(tx, req, entity, rest)
        return self._single(tx, req, entity, key_text, rest)

    def _collection(self, tx: Tx, req: Request, entity: EntityDef, rest: str | None) -> Reply:
        if rest == "$count" and req.method == "GET":
            return ops.count_collection(tx, entity, req)
        if rest and bulk.handles(rest):
            return bulk.run(tx, self.dialect, entity, rest, req)
        if rest:
            raise ODataError(404, f"Resource not found for the segment '{rest}'.", "0x80060888")
        if req.method == "GET":
            return ops.query_collection(tx, self.dialect, entity, req)
        if req.method == "POST":
            return ops.create(tx, self.dialect, entity, req)
        raise ODataError(405, f"{req.method} is not allowed on an entity set.")

    def _single(
        self, tx: Tx, req: Request, entity: EntityDef, key_text: str, rest: str | None
    ) -> Reply:
        key, alternate = self._key(tx, entity, key_text)
        if not rest:
            if req.method == "GET":
                return ops.read_single(tx, self.dialect, entity, key, req)
            if req.method in ("PATCH", "PUT"):
                if alternate and tx.get(entity.name, key) is None:
                    return self._upsert_by_alternate_key(tx, req, entity, key, alternate)
                return ops.update_or_upsert(tx, self.dialect, entity, key, req)
            if req.method == "DELETE":
                return ops.delete(tx, self.dialect, entity, key, req)
            raise ODataError(405, f"{req.method} is not allowed on an entity.")
        nav_match = _NAV.match(rest)
        if nav_match is None:
            raise ODataError(404, f"Resource not found for the segment '{rest}'.", "0x80060888")
        name = nav_match.group("nav")
        if entity.name == "systemuser" and name == "systemuserroles_association":
            return self._roles(tx, req, key, nav_match.group("key"), nav_match.group("ref"))
        nav = entity.nav(name)
        if nav is not None and nav.many and req.method == "GET" and not nav_match.group("ref"):
            tx.require(entity.name, key)
            target = self.model.entity(nav.target)
            table = self.model.table(target.name)
            scope = table.c[nav.fk] == key
            if nav.discriminator:
                scope = sa.and_(scope, table.c[nav.discriminator[0]] == nav.discriminator[1])
            return ops.query_collection(tx, self.dialect, target, req, scope=scope)
        if nav is not None and not nav.many and nav_match.group("ref") and req.method == "DELETE":
            ops.require_privilege(tx, entity, "write")
            changes: dict[str, Any] = {nav.fk: None}
            if nav.discriminator:
                changes[nav.discriminator[0]] = None
            tx.update(entity.name, key, changes)
            return Reply(204)
        f = entity.field(name)
        if f is not None and not f.hidden and req.method == "GET" and not nav_match.group("ref"):
            ops.require_privilege(tx, entity, "read")
            row = tx.require(entity.name, key)
            return Reply(
                200,
                {
                    "@odata.context": f"{req.base_url}$metadata#{entity.entity_set}({key})/{name}",
                    "value": json_value(row[name]),
                },
            )
        raise ODataError(404, f"Resource not found for the segment '{name}'.", "0x80060888")

    def _key(self, tx: Tx, entity: EntityDef, text: str) -> tuple[str, dict[str, Any] | None]:
        try:
            return self.dialect.resolve_key(tx, entity, text), None
        except ODataError as err:
            if err.status != 404 or "=" not in text:
                raise
            return str(uuid.uuid4()), dict(key_pairs(text))

    def _upsert_by_alternate_key(
        self, tx: Tx, req: Request, entity: EntityDef, key: str, alternate: dict[str, Any]
    ) -> Reply:
        if req.header("if-match") is not None:
            raise not_found(entity.name, ",".join(f"{k}={v}" for k, v in alternate.items()))
        ops.require_privilege(tx, entity, "write")
        values = self.dialect.decode(tx, entity, req.json())
        values.update({k: self.dialect.decode_value(entity, k, v) for k, v in alternate.items()})
        values[entity.key] = key
        row = tx.insert(entity.name, values)
        return ops.written(tx, self.dialect, entity, row, req, created=True)

    def _roles(
        self, tx: Tx, req: Request, user_id: str, role_key: str | None, ref: str | None
    ) -> Reply:
        """The N:N between users and security roles (`systemuserroles_association`)."""
        tx.require("systemuser", user_id)
        links = self.model.entity("systemuserroles")
        if req.method == "GET" and not ref:
            ops.require_privilege(tx, self.model.entity("role"), "read")
            role_ids = [r["roleid"] for r in tx.find("systemuserroles", systemuserid=user_id)]
            roles = [
                self.dialect.represent(self.model.entity("role"), tx.require("role", r), None)
                for r in role_ids
            ]
            return Reply(200, {"@odata.context": f"{req.base_url}$metadata#roles", "value": roles})
        if not tx.principal.is_admin:
            raise ODataError(
                403, "Only a System Administrator may assign security roles.", "0x80040220"
            )
        if req.method == "POST" and ref and role_key is None:
            ref_url = req.json().get("@odata.id")
            if not isinstance(ref_url, str):
                raise bad_request("The body needs '@odata.id' naming the role.")
            target, role = self.dialect.resolve_reference(tx, ref_url, "@odata.id")
            if target != "role":
                raise bad_request("Only roles can be associated here.")
            if not tx.find("systemuserroles", systemuserid=user_id, roleid=role):
                tx.insert(links.name, {"systemuserid": user_id, "roleid": role})
            return Reply(204)
        if req.method == "DELETE" and ref and role_key:
            for link in tx.find("systemuserroles", systemuserid=user_id, roleid=role_key.strip()):
                tx.delete(links.name, link["systemuserrolesid"])
            return Reply(204)
        raise ODataError(405, "This operation is not supported on systemuserroles_association.")


def _refuse_custom_options(req: Request) -> None:
    """Query parameters other than `$` options and `@` aliases answer 400, as Dataverse
    answers an option it does not know (docs/protocols.md §A4)."""
    for name in req.query:
        if name.startswith(("$", "@")):
            continue
        if name in DATAVERSE_QUERIES:
            raise bad_request(
                f"The query parameter {name} is not supported by this service (the reference "
                "CRM implements OData queries only)."
            )
        raise bad_request(f"The query parameter {name} is not supported")
