"""`Integration`: the façade the CLI, the REST API and the admin pages call, one method per
use case, each handing its work to the use-case module that owns it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ..connectors.sign_in import Check
from ..engine.connection import Connection
from ..engine.context import Context
from ..engine.errors import ConfigError
from ..engine.matching import MatchResult
from ..engine.model import Coupling, Direction, FullSyncLine, JobLog, Side, TableMapping
from ..engine.ports import Clock, JobQueuePort
from ..engine.schedule import JobEntry, RunOutcome
from ..flows.invoices.posted import InvoiceResult
from ..flows.orders.creation import OrderResult
from ..flows.quotes.processing import QuoteResult
from ..flows.statistics import StatisticsRun
from ..jobs.worker import Worker
from ..store.credentials import ApiToken
from . import (
    availability,
    catalogue,
    couplings,
    credentials,
    full_sync,
    invoices,
    orders,
    quotes,
    runs,
    scheduling,
    statistics,
    web_sessions,
)
from . import connection as setup
from . import context as contexts
from .parts import Parts
from .ports import ConfigStore, CredentialStore, StateStore

if TYPE_CHECKING:  # procrastinate loads for its worker only
    from ..jobs.procrastinate_backend import ProcrastinateBackend


class Integration:
    def __init__(
        self,
        parts: Parts,
        *,
        database_url: str,
        distributed: bool,
        session_key: str,
        close: Callable[[], None],
    ) -> None:
        self.parts = parts
        self.database_url = database_url
        # Whether the database can carry procrastinate (PostgreSQL) for many workers.
        self.distributed = distributed
        # Signs the web app's session cookies; derived from the engine's secret key.
        self.session_key = session_key
        self._close = close

    # -- the stores, for the listings the interfaces show -----------------------------

    @property
    def config(self) -> ConfigStore:
        return self.parts.config

    @property
    def state(self) -> StateStore:
        return self.parts.state

    @property
    def queue(self) -> JobQueuePort:
        return self.parts.queue

    @property
    def credentials(self) -> CredentialStore:
        return self.parts.credentials

    @property
    def clock(self) -> Clock:
        return self.parts.clock

    @property
    def admin_user(self) -> str:
        return self.parts.admin_user

    # -- connection -------------------------------------------------------------------

    def stored_connection(self) -> Connection | None:
        return self.parts.config.connection()

    def connection(self) -> Connection:
        """The stored connection (ConfigError when not set up)."""
        return contexts.connection(self.parts)

    def save_connection(
        self, values: Mapping[str, str | None], switches: Mapping[str, bool | None]
    ) -> Connection:
        return setup.save(self.parts, values, switches)

    def enable(self) -> setup.Enabled:
        return setup.enable(self.parts)

    def check_connection(self) -> list[Check]:
        return setup.check(self.parts)

    def context(self) -> Context:
        return contexts.context(self.parts)

    # -- mappings and their jobs ------------------------------------------------------

    def mappings(self) -> dict[str, TableMapping]:
        return contexts.mappings(self.parts)

    def mapping(self, name: str) -> TableMapping:
        return contexts.mapping(self.parts, name)

    def reset_mappings(self, names: Sequence[str] | None = None) -> list[str]:
        return catalogue.reset(self.parts, names)

    def import_mappings(self, documents: Sequence[Mapping[str, Any]]) -> dict[str, TableMapping]:
        return catalogue.replace_all(self.parts, documents)

    def replace_mapping(self, name: str, document: Mapping[str, Any]) -> TableMapping:
        return catalogue.replace_one(self.parts, name, document)

    def export_mappings(self) -> list[dict[str, Any]]:
        return catalogue.export(self.parts)

    def schedule_flows(self) -> None:
        scheduling.schedule_flows(self.parts)

    # -- couplings --------------------------------------------------------------------

    def couple(
        self, mapping: str, erp_id: str, crm_id: str, *, sync: Direction | None = None
    ) -> tuple[Coupling, list[JobLog]]:
        return couplings.couple(self.parts, mapping, erp_id, crm_id, sync=sync)

    def create_in(
        self, mapping: str, destination: Side, source_ids: Sequence[str]
    ) -> tuple[list[JobLog], list[str]]:
        return couplings.create_in(self.parts, mapping, destination, source_ids)

    def uncouple(
        self,
        mapping: str,
        *,
        erp_ids: Sequence[str] = (),
        crm_ids: Sequence[str] = (),
        everything: bool = False,
    ) -> JobLog:
        return couplings.uncouple(
            self.parts, mapping, erp_ids=erp_ids, crm_ids=crm_ids, everything=everything
        )

    def match(
        self,
        mapping: str,
        *,
        fields: Sequence[str] | None = None,
        create_new: bool | None = None,
    ) -> MatchResult:
        return couplings.match(self.parts, mapping, fields=fields, create_new=create_new)

    def restore_skipped(self, coupling_ids: Sequence[str] | None = None) -> int:
        return couplings.restore_skipped(self.parts, coupling_ids)

    # -- runs and workers -------------------------------------------------------------

    def run_entry(self, entry: JobEntry) -> RunOutcome:
        return runs.run_entry(self.parts, entry)

    def wake_changed(self) -> list[str]:
        return runs.wake_changed(self.parts)

    def queue_sync(
        self,
        mappings: Sequence[str] | None = None,
        *,
        direction: Direction | None = None,
        full: bool = False,
    ) -> runs.Queued:
        return runs.queue_sync(self.parts, mappings, direction=direction, full=full)

    def joinable_sync(
        self,
        mappings: Sequence[str] | None = None,
        *,
        direction: Direction | None = None,
        full: bool = False,
    ) -> str | None:
        return runs.joinable_sync(self.parts, mappings, direction=direction, full=full)

    def queue_sync_now(
        self,
        mapping: str,
        *,
        erp_ids: Sequence[str] = (),
        crm_ids: Sequence[str] = (),
        direction: Direction | None = None,
        from_couplings: bool = False,
    ) -> runs.Queued:
        return runs.queue_sync_now(
            self.parts,
            mapping,
            erp_ids=erp_ids,
            crm_ids=crm_ids,
            direction=direction,
            from_couplings=from_couplings,
        )

    def queue_full_sync(self) -> runs.Queued:
        return runs.queue_full_sync(self.parts)

    def review_full_sync(self) -> list[FullSyncLine]:
        return full_sync.review(self.parts)

    def restart_full_sync(
        self, names: Sequence[str] = (), *, all_failed: bool = False
    ) -> list[FullSyncLine]:
        return full_sync.restart(self.parts, names, all_failed=all_failed)

    def holding(
        self, mappings: Sequence[str] | None = None, wait: float = 0.0
    ) -> AbstractContextManager[None]:
        """The mappings' leases for a run in this process (see `runs.holding`)."""
        return runs.holding(self.parts, mappings, wait)

    def run_full_sync_here(self, wait: float = 0.0) -> list[FullSyncLine]:
        """Runs the full synchronization in this process, holding every mapping's lease."""
        with self.holding(None, wait):
            return full_sync.run_here(self.parts)

    def run_status(self, run_id: str) -> dict[str, Any] | None:
        return runs.status(self.parts, run_id)

    def run_now(self, run_id: str, timeout: float = 3600.0) -> dict[str, Any] | None:
        return runs.run_now(self.parts, self.worker(), run_id, timeout)

    def worker(self) -> Worker:
        return Worker(self.parts.queue, self.run_entry, self.parts.clock)

    def procrastinate(self) -> ProcrastinateBackend:
        """The job queue's entries run through procrastinate (see jobs.procrastinate_backend)."""
        if not self.distributed:
            raise ConfigError(
                "The procrastinate backend needs the engine database on PostgreSQL "
                "(COUPLET_ENGINE_DATABASE_URL=postgresql://...)."
            )
        from ..jobs.procrastinate_backend import ProcrastinateBackend, conninfo

        return ProcrastinateBackend(
            conninfo(self.database_url),
            self.parts.queue,
            self.run_entry,
            self.parts.clock,
            when_idle=self.wake_changed,
        )

    # -- document flows ---------------------------------------------------------------

    def submitted_orders(self) -> list[dict[str, object]]:
        return orders.submitted(self.parts)

    def create_orders(
        self, crm_ids: Sequence[str] | None = None
    ) -> tuple[JobLog, list[OrderResult]]:
        return orders.create(self.parts, crm_ids)

    def update_order_status(self) -> list[JobLog]:
        return orders.update_status(self.parts)

    def waiting_quotes(self) -> list[dict[str, object]]:
        return quotes.waiting(self.parts)

    def process_quotes(
        self, crm_ids: Sequence[str] | None = None
    ) -> tuple[JobLog | None, list[QuoteResult]]:
        return quotes.process(self.parts, crm_ids)

    def update_availability(self, erp_ids: Sequence[str] | None = None) -> JobLog | None:
        return availability.update(self.parts, erp_ids)

    def publish_availability(self, client_id: str, secret: str) -> str:
        return availability.publish(self.parts, client_id, secret)

    def update_statistics(self, customer_numbers: Sequence[str] | None = None) -> StatisticsRun:
        return statistics.update(self.parts, customer_numbers)

    def posted_invoices(self) -> list[dict[str, object]]:
        return invoices.listing(self.parts)

    def create_invoices_in_crm(
        self, numbers: Sequence[str]
    ) -> tuple[list[JobLog], list[InvoiceResult]]:
        return invoices.create_in_crm(self.parts, numbers)

    # -- sign-in ----------------------------------------------------------------------

    def ensure_admin(self) -> str | None:
        return credentials.ensure_admin(self.parts)

    def create_token(self, name: str) -> tuple[ApiToken, str]:
        return credentials.create_token(self.parts, name)

    def tokens(self) -> list[ApiToken]:
        return credentials.tokens(self.parts)

    def revoke_token(self, token_id: str) -> bool:
        return credentials.revoke_token(self.parts, token_id)

    def sign_in(self, username: str, password: str, address: str) -> web_sessions.SignIn:
        return web_sessions.sign_in(self.parts, username, password, address)

    def session_user(self, session_id: str | None) -> str | None:
        return web_sessions.session_user(self.parts, session_id)

    def sign_out(self, session_id: str | None) -> None:
        web_sessions.sign_out(self.parts, session_id)

    def close(self) -> None:
        self._close()
