"""The Business Central API v2.0 dialect: opaque ETags, blank values instead of nulls,
context URLs under the company, and BC's error body with a correlation id (docs/protocols.md
§B5, §B12)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from .._common.dialect import Dialect
from .._common.errors import ODataError
from .._common.model import EntityDef, FieldType
from .._common.records import Tx
from .._common.types import json_value

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01"

# Business Central's error codes by HTTP status, for errors raised by the shared layer
# (which speaks in Dataverse's hex codes); codes the ERP sets itself are kept as they are.
_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Authorization_InsufficientPermissions",
    404: "BadRequest_NotFound",
    405: "BadRequest_MethodNotAllowed",
    409: "Request_EntityChanged",
    412: "Request_EntityChanged",
    413: "RequestDataInvalid",
    428: "Request_PreconditionRequired",
    429: "Application_TooManyRequests",
}


class BusinessCentralDialect(Dialect):
    max_page_size = 20_000
    max_count = None
    namespace = "Microsoft.NAV"

    # -- rows out ----------------------------------------------------------------------

    def etag(self, row: dict[str, Any]) -> str:
        # BC's ETags look like W/"JzQ0O3...Jzs=": a base64 of a quoted version string.
        version = f"'{len(str(row['systemRowVersion']))};{row['systemRowVersion']};'"
        return f'W/"{base64.b64encode(version.encode()).decode()}"'

    def represent(
        self,
        entity: EntityDef,
        row: dict[str, Any],
        select: list[str] | None,
        annotations: bool = False,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"@odata.etag": self.etag(row)}
        names = select if select else [f.name for f in entity.visible_fields]
        if entity.key not in names:
            names = [entity.key, *names]
        for name in names:
            out[name] = _blank_aware(entity, name, row.get(name))
        return out

    def context(
        self, base_url: str, entity: EntityDef, select: list[str] | None, single: bool = False
    ) -> str:
        # base_url is ".../api/v2.0/companies(<id>)/"; the metadata lives at the API root.
        root, _, company = base_url.partition("companies(")
        scope = f"companies({company.rstrip('/')}/" if company else ""
        sel = f"({','.join(select)})" if select else ""
        return f"{root}$metadata#{scope}{entity.entity_set}{sel}" + ("/$entity" if single else "")

    # -- rows in -----------------------------------------------------------------------

    def decode(self, tx: Tx, entity: EntityDef, body: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, raw in body.items():
            if name.startswith("@odata.") or "@" in name:
                continue
            f = entity.field(name)
            if f is not None and f.read_only and not f.hidden:
                # Business Central refuses a write to a field its API page does not let
                # clients edit (docs/protocols.md §B12).
                raise ODataError(
                    400,
                    f"Control '{name}' is read-only.",
                    "BadRequest_InvalidOperation",
                    target=name,
                )
            if f is not None and f.type is FieldType.GUID and raw == EMPTY_GUID:
                values[name] = None  # BC clients clear a reference with the empty GUID
                continue
            values[name] = self.decode_value(entity, name, raw)
        return values

    # -- errors ------------------------------------------------------------------------

    def error_body(self, error: ODataError) -> dict[str, Any]:
        code = error.code if error.code and not error.code.startswith("0x") else ""
        code = code or _CODES.get(error.status, "Internal_ServerError")
        message = error.message
        if error.target and error.target not in message:
            message = f"{error.target}: {message}"
        if not message.endswith("."):
            message += "."
        return {"error": {"code": code, "message": f"{message}  CorrelationId:  {uuid.uuid4()}."}}


def _blank_aware(entity: EntityDef, name: str, value: Any) -> Any:
    """BC never answers null for a field: blank text is "", a blank reference the empty
    GUID, a blank date 0001-01-01 and a blank number 0."""
    if value is not None:
        return json_value(value)
    f = entity.field(name)
    if f is None:
        return None
    match f.type:
        case FieldType.GUID:
            return EMPTY_GUID
        case FieldType.DATE:
            return EMPTY_DATE
        case FieldType.STRING | FieldType.MEMO:
            return ""
        case FieldType.BOOL:
            return False
        case FieldType.DATETIME:
            return "0001-01-01T00:00:00Z"
        case _:
            return 0
