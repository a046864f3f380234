"""How the engine's exceptions become HTTP answers, for the REST API.

Every error answers `{"detail": "..."}`: 404 for an unknown mapping, 400 for a run that cannot
work as asked (a direction the mapping does not go, lines that go with their document), 409
when the request is
fine but the setup is not (not set up, not enabled, no mappings), 422 for input the engine
rejects (a mapping breaking a rule, a coupling that cannot be made), 502 when a system the
engine talks to fails.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..engine.errors import (
    ConfigError,
    CoupletError,
    CouplingError,
    InvalidIdError,
    MappingError,
    NotRunnableError,
    RecordError,
    SyncError,
    UnknownMappingError,
)


def status_for(exc: Exception) -> int:
    # Most specific first: UnknownMappingError is a MappingError is a ConfigError.
    if isinstance(exc, UnknownMappingError):
        return 404
    if isinstance(exc, NotRunnableError):
        return 400
    if isinstance(exc, MappingError | CouplingError | RecordError | InvalidIdError):
        return 422
    if isinstance(exc, ConfigError):
        return 409
    if isinstance(exc, SyncError | httpx.HTTPError):
        return 502
    return 500


def message(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        try:
            where = str(exc.request.url.copy_with(path="/", query=None))
        except RuntimeError:  # an error raised without its request
            where = "a service"
        return f"cannot reach {where}: is the service running?"
    return str(exc)


def install(app: FastAPI) -> None:
    def answer(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": message(exc)}, status_code=status_for(exc))

    app.add_exception_handler(CoupletError, answer)
    app.add_exception_handler(httpx.HTTPError, answer)
