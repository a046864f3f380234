"""What every web route needs: the integration façade the app was built with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..engine.context import Context
from ..operations.integration import Integration


def get_integration(request: Request) -> Integration:
    integration: Integration = request.app.state.integration
    return integration


def get_context(request: Request) -> Context:
    """The synchronization context; 409 (ConfigError) when not set up or not enabled."""
    return get_integration(request).context()


IntegrationDep = Annotated[Integration, Depends(get_integration)]
ContextDep = Annotated[Context, Depends(get_context)]
