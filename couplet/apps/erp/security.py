"""API users and their permission sets.

Each OAuth client is an ERP user (the `users` table, not exposed by the API) holding a
permission set: SUPER may do everything, "D365 READ" may only read - the two ends of
Business Central's permission sets, enough to test 403s.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from .._common.auth import register_client
from .._common.http import Request
from .._common.model import Model
from .._common.records import Principal, Tx
from .._common.service import PrincipalResolver
from .blanks import insert_system

SUPER = "SUPER"
READ = "D365 READ"


def load_principal(conn: sa.Connection, model: Model, user_id: str) -> Principal | None:
    users = model.table("user")
    user = conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    if user is None or not user["enabled"]:
        return None
    if user["permissionSet"] == SUPER:
        return Principal(id=user_id, name=user["userName"], is_admin=True)
    return Principal(id=user_id, name=user["userName"], privileges={"*": frozenset({"read"})})


def resolver(model: Model) -> PrincipalResolver:
    def resolve(conn: sa.Connection, principal_id: str, req: Request) -> Principal | None:
        return load_principal(conn, model, principal_id)

    return resolve


def ensure_api_user(tx: Tx, client_id: str, secret: str, permission_set: str = SUPER) -> str:
    """Creates (or re-keys) a user with an OAuth client; returns the user id."""
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"couplet-erp-client:{client_id}"))
    if tx.get("user", user_id) is None:
        insert_system(
            tx,
            "user",
            {
                "id": user_id,
                "userName": client_id[:50],
                "permissionSet": permission_set,
                "enabled": True,
            },
        )
    elif tx.require("user", user_id)["permissionSet"] != permission_set:
        tx.update("user", user_id, {"permissionSet": permission_set}, internal=True)
    register_client(tx.conn, tx.model, client_id, secret, user_id)
    return user_id
