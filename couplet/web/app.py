"""The engine's web application: the REST API under /api/v1 and the admin pages."""

from __future__ import annotations

from fastapi import FastAPI

from ..settings import EngineSettings
from ..wiring import Engine, open_engine
from . import errors
from .api import invoices, statistics
from .api import router as api_router
from .ui import actions, pages


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(
        title="couplet engine",
        version="1",
        description=(
            "Connects a CRM (Dataverse Web API) and an ERP (Business Central API) across "
            'lead-to-cash. Errors answer {"detail": ...}: 404 unknown mapping, 409 not set '
            "up or not enabled, 422 invalid input, 502 a system failed."
        ),
    )
    app.state.engine = engine
    errors.install(app)
    app.include_router(api_router)
    for document_router in (invoices.router, statistics.router):
        app.include_router(document_router, prefix="/api/v1")
    app.include_router(pages.router)
    app.include_router(actions.router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def create_app_from_environment() -> FastAPI:
    """The app for `couplet serve engine`: settings (COUPLET_ENGINE_*) are read when the
    server starts it, not at import time. The command line names this factory by its import
    path, because the CLI and the web are siblings that never import each other."""
    return create_app(open_engine(EngineSettings()))
