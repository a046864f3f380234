"""The engine's web application: REST API (and, next, the admin UI)."""

from __future__ import annotations

from fastapi import FastAPI

from ..wiring import Engine
from .api import router


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(
        title="couplet engine",
        version="1",
        description="Connects a CRM and an ERP across lead-to-cash.",
    )
    app.state.engine = engine
    app.include_router(router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
