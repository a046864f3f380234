"""What the use cases need from the stores and the two systems, beyond the engine's ports.

The SQL stores and the HTTP connectors satisfy these structurally; `wiring` passes them in,
so no use case names a concrete store or connector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..connectors.sign_in import Check
from ..engine.connection import Connection
from ..engine.model import Coupling, JobError, JobLog
from ..engine.ports import OptionPort, RecordPort, StatePort
from ..store.credentials import ApiToken, FailedSignIns, WebSession


class ConfigStore(Protocol):
    """The stored connection and mapping documents."""

    def connection(self) -> Connection | None: ...

    def save_connection(self, connection: Connection, now: dt.datetime) -> None: ...

    def mapping_documents(self) -> list[dict[str, Any]]: ...

    def save_mapping_documents(
        self, documents: Sequence[Mapping[str, Any]], now: dt.datetime
    ) -> None: ...


class StateStore(StatePort, Protocol):
    """The engine's state plus the listings people look at (job log, errors, couplings)."""

    def jobs(self, mapping: str | None = None, limit: int = 100) -> list[JobLog]: ...

    def errors(self, job_id: str | None = None, limit: int = 200) -> list[tuple[int, JobError]]: ...

    def couplings_page(
        self, mapping: str, offset: int = 0, limit: int = 100
    ) -> tuple[int, list[Coupling]]: ...

    def coupling_counts(self) -> dict[str, tuple[int, int]]: ...

    def error_counts(self) -> dict[str, int]: ...


class CredentialStore(Protocol):
    """The web app's admin sign-in and API tokens."""

    def has_admin(self) -> bool: ...

    def set_admin(self, username: str, password: str) -> None: ...

    def check_password(self, username: str, password: str) -> bool: ...

    def check_token(self, token: str) -> bool: ...

    def create_token(self, name: str) -> tuple[ApiToken, str]: ...

    def tokens(self) -> list[ApiToken]: ...

    def revoke(self, token_id: str) -> bool: ...

    def start_session(self, user: str, now: dt.datetime) -> str: ...

    def session(self, session_id: str) -> WebSession | None: ...

    def touch_session(self, session_id: str, now: dt.datetime) -> None: ...

    def end_session(self, session_id: str) -> None: ...

    def failed_sign_ins(self, key: str) -> FailedSignIns | None: ...

    def record_failed_sign_in(self, key: str, count: int, now: dt.datetime) -> None: ...

    def clear_failed_sign_ins(self, key: str) -> None: ...


class CrmSystem(RecordPort, OptionPort, Protocol):
    """The CRM: its tables and its choice columns."""


class ErpSystem(RecordPort, Protocol):
    """The ERP: its tables, the address of an entity set, its local currency."""

    def url(self, table: str) -> str: ...

    def local_currency_code(self) -> str: ...


# Connectors for a connection's URLs and credentials (built by wiring over HTTP).
ConnectSystems = Callable[[Connection], tuple[CrmSystem, ErpSystem]]
# Signs in to both systems with a connection that need not be stored yet.
CheckSignIn = Callable[[Connection], list[Check]]
