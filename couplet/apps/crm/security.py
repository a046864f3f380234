"""Security roles and callers: who may read and write what in the CRM.

Roles are Dataverse's names (and, for the integration solution's roles, their ids). A caller
is a system user reached through an OAuth client (an application user); System
Administrators may act as another user with the `MSCRMCallerID` header, as Dataverse allows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError
from .._common.http import Request
from .._common.model import Model
from .._common.records import Principal

SYSTEM_ADMINISTRATOR = "System Administrator"
RW = frozenset({"read", "write"})
R = frozenset({"read"})

# name -> (fixed role id or None, privileges)
ROLES: dict[str, tuple[str, dict[str, frozenset[str]]]] = {
    SYSTEM_ADMINISTRATOR: ("627090ff-40a3-4053-8790-584edc5be201", {"*": RW}),
    "Integration Administrator": ("8c8d4f51-a72b-e511-80d9-3863bb349780", {"*": RW}),
    "Integration User": (
        "6f960e32-a72b-e511-80d9-3863bb349780",
        {"*": RW, "role": R, "systemuserroles": R},
    ),
    "Salesperson": (
        "c1a5a9d7-5b1e-4f6e-9a57-1f2d6c1c0a11",
        {
            "*": RW,
            "systemuser": R,
            "team": R,
            "organization": R,
            "role": R,
            "systemuserroles": R,
            "transactioncurrency": R,
            "uomschedule": R,
            "uom": R,
        },
    ),
    "Product Availability User": (
        "5b4e0c3e-8f4e-4a55-9a53-6f3f2a9e7c21",
        {
            "product": R,
            "uom": R,
            "uomschedule": R,
            "nav_accountstatistics": R,
            "nav_connection": R,
            "account": R,
            "transactioncurrency": R,
        },
    ),
}


PRODUCT_AVAILABILITY_USER = "Product Availability User"


def has_role(conn: sa.Connection, model: Model, user_id: str, name: str) -> bool:
    links = model.table("systemuserroles")
    found = conn.execute(
        sa.select(links.c.systemuserid).where(
            links.c.systemuserid == user_id, links.c.roleid == role_id(name)
        )
    ).first()
    return found is not None


def role_id(name: str) -> str:
    return ROLES[name][0]


def load_principal(conn: sa.Connection, model: Model, user_id: str) -> Principal | None:
    users = model.table("systemuser")
    user = conn.execute(sa.select(users).where(users.c.systemuserid == user_id)).mappings().first()
    if user is None or user["isdisabled"]:
        return None
    links, roles = model.table("systemuserroles"), model.table("role")
    names = [
        r
        for (r,) in conn.execute(
            sa.select(roles.c.name)
            .join(links, links.c.roleid == roles.c.roleid)
            .where(links.c.systemuserid == user_id)
        )
    ]
    privileges: dict[str, frozenset[str]] = {}
    for name in names:
        for entity, access in ROLES.get(name, ("", {}))[1].items():
            privileges[entity] = privileges.get(entity, frozenset()) | access
    return Principal(
        id=user_id,
        name=str(user["fullname"] or ""),
        privileges=privileges,
        is_admin=SYSTEM_ADMINISTRATOR in names,
    )


def resolver(model: Model) -> Any:
    def resolve(conn: sa.Connection, principal_id: str, req: Request) -> Principal | None:
        caller = load_principal(conn, model, principal_id)
        target = req.header("mscrmcallerid") or req.header("callerobjectid")
        if caller is None or not target:
            return caller
        if not caller.is_admin:
            raise ODataError(
                403,
                "Only a System Administrator may act on behalf of another user (MSCRMCallerID).",
                "0x80040220",
            )
        other = load_principal(conn, model, target.strip())
        if other is None:
            raise ODataError(
                400,
                f"The user {target} named by MSCRMCallerID does not exist or is disabled.",
                "0x80040217",
            )
        return other

    return resolve
