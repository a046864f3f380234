"""The one exception an OData request handler raises to answer with an error status."""

from __future__ import annotations


class ODataError(Exception):
    """An error answered to the client: HTTP status, API error code and a readable message.

    `code` is the API's own code (a Dataverse hex code such as ``0x80044331`` or a Business
    Central code such as ``BadRequest_NotFound``); each service's dialect decides how the body
    looks. `target` names the offending field for validation errors.
    """

    def __init__(
        self,
        status: int,
        message: str,
        code: str = "",
        *,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.target = target
        self.headers = headers or {}


# Dataverse error codes the reference CRM uses (the hex codes Dataverse returns).
NOT_FOUND = "0x80040217"
VALIDATION = "0x80044331"
BAD_QUERY = "0x80060888"
PRIVILEGE_DENIED = "0x80040220"
DUPLICATE = "0x80040237"
CONCURRENCY = "0x80060882"
READ_ONLY = "0x80043b09"
INVALID_STATE = "0x8004f81e"
AUTH_FAILED = "0x80048306"
REQUEST_LIMIT = "0x80072322"
CONCURRENCY_LIMIT = "0x80072326"


def not_found(entity: str, key: str) -> ODataError:
    return ODataError(404, f"{entity} With Id = {key} Does Not Exist", NOT_FOUND)


def bad_request(message: str, code: str = BAD_QUERY, target: str | None = None) -> ODataError:
    return ODataError(400, message, code, target=target)


def validation(message: str, field: str | None = None) -> ODataError:
    return ODataError(400, message, VALIDATION, target=field)
