"""What every web route needs: the engine the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..engine.context import Context
from ..wiring import Engine


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_context(request: Request) -> Context:
    """The synchronization context; 409 (ConfigError) when not set up or not enabled."""
    return get_engine(request).context()


EngineDep = Annotated[Engine, Depends(get_engine)]
ContextDep = Annotated[Context, Depends(get_context)]
