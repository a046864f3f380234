"""Webhook subscriptions (placeholder: answers 404 until implemented)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ...settings import ErpSettings
from .._common.database import Transactions
from .._common.errors import ODataError
from .._common.http import Reply, Request
from .._common.model import Model
from .._common.records import Tx
from .dialect import BusinessCentralDialect


class Subscriptions:
    def __init__(
        self,
        settings: ErpSettings,
        transactions: Transactions,
        model: Model,
        dialect: BusinessCentralDialect,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.settings = settings

    def handle(self, tx: Tx, req: Request, path: str) -> Reply:
        raise ODataError(404, "Subscriptions are not available yet.", "BadRequest_NotFound")

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        yield
