"""The engine's web application: the REST API under /api/v1 and the admin pages."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from ..operations.integration import Integration
from ..settings import EngineSettings
from ..wiring import open_integration
from . import auth, errors
from .api import router as api_router
from .headers import SecurityHeaders
from .ui import actions, pages


def create_app(integration: Integration, *, worker: bool = False) -> FastAPI:
    """The web app; with `worker` it also runs the embedded worker (queued runs and
    scheduled jobs) while it serves."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        if worker:
            thread = threading.Thread(
                target=integration.worker().run_forever,
                args=(stop, 1.0, integration.wake_changed),
                name="embedded-worker",
                daemon=True,
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=10)  # a short wait for a run in progress

    app = FastAPI(
        title="couplet engine",
        version="1",
        description=(
            "Connects a CRM (Dataverse Web API) and an ERP (Business Central API) across "
            'lead-to-cash. Errors answer {"detail": ...}: 404 unknown mapping, 409 not set '
            "up or not enabled, 422 invalid input, 502 a system failed."
        ),
        lifespan=lifespan,
    )
    app.state.integration = integration
    errors.install(app)
    auth.install(app, integration.session_key)
    app.add_middleware(SecurityHeaders)
    app.include_router(api_router, dependencies=[Depends(auth.token_checked)])
    app.include_router(pages.router, dependencies=[Depends(auth.signed_in)])
    app.include_router(
        actions.router, dependencies=[Depends(auth.signed_in), Depends(auth.csrf_checked)]
    )

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def create_app_from_environment() -> FastAPI:
    """The app for `couplet serve engine`: settings (COUPLET_ENGINE_*) are read when the
    server starts it, not at import time. The command line names this factory by its import
    path, because the CLI and the web are siblings that never import each other."""
    settings = EngineSettings()
    return create_app(open_integration(settings), worker=settings.embedded_worker)
