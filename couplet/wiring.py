"""The composition root: builds the engine's parts from settings, for the CLI and the web.

Nothing else constructs stores, connectors or workers; tests inject an HTTP client factory
(to reach in-process services) and a clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import httpx
import sqlalchemy as sa

from .connectors.business_central.connector import BusinessCentralConnector
from .connectors.dataverse.connector import DataverseConnector
from .connectors.http import ClientCredentials, HttpSession, OAuthClientCredentials, error_message
from .engine import catalogue, roles, runs
from .engine.connection import Connection, Features
from .engine.context import Context
from .engine.errors import ConfigError, CoupletError, MappingError, UnknownMappingError
from .engine.model import Condition, Direction, Op, TableMapping
from .engine.roles import Role
from .engine.runner import RunOptions, synchronize
from .engine.schedule import JobEntry, JobStatus, RunOutcome, wake
from .engine.wake import has_work
from .flows import availability
from .flows.builders.lines import SalesSetup, sales_setup
from .flows.orders import integration as order_integration
from .flows.page_steps import LINES_WITH_DOCUMENT, PAGE_STEPS
from .flows.registry import FLOWS, flow_of_kind
from .jobs.procrastinate_backend import ProcrastinateBackend, conninfo
from .jobs.worker import Worker
from .settings import EngineSettings
from .store.config import SqlConfig
from .store.credentials import SqlCredentials, new_password
from .store.db import make_engine, migrate
from .store.job_queue import SqlJobQueue
from .store.secrets import SecretBox, load_key
from .store.sql_state import SqlState

ClientFactory = Callable[[str], httpx.Client]


def _ids(raw: object) -> tuple[str, ...] | None:
    return tuple(str(i) for i in raw) if isinstance(raw, list | tuple) else None


def _default_names(features: Features) -> set[str]:
    return {d["name"] for d in catalogue.default_documents(features)}


def default_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=httpx.Timeout(60.0, connect=10.0))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Engine:
    settings: EngineSettings
    db: sa.Engine
    config: SqlConfig
    state: SqlState
    queue: SqlJobQueue
    credentials: SqlCredentials
    clock: Callable[[], dt.datetime] = utc_now
    client_factory: ClientFactory = default_client
    # Signs the web app's session cookies; derived from the engine's secret key.
    session_key: str = ""
    sleep: Callable[[float], None] | None = None
    _clients: list[httpx.Client] = field(default_factory=list)
    _lcy_currency: str | None = None

    def connection(self) -> Connection:
        connection = self.config.connection()
        if connection is None:
            raise ConfigError("The connection is not set up yet: run `couplet setup` first.")
        return connection

    def save_connection(self, connection: Connection) -> None:
        """Stores the connection; connectors built for the old one are dropped so the next
        operation signs in with the new URLs and credentials."""
        self.config.save_connection(connection, self.clock())
        for name in ("crm", "erp"):
            self.__dict__.pop(name, None)

    def session(self, base_url: str, client_id: str, secret: str) -> HttpSession:
        client = self.client_factory(base_url)
        client.auth = OAuthClientCredentials(
            ClientCredentials(f"{base_url}/oauth2/token", client_id, secret, f"{base_url}/.default")
        )
        self._clients.append(client)
        return HttpSession(client) if self.sleep is None else HttpSession(client, sleep=self.sleep)

    def mappings(self) -> dict[str, TableMapping]:
        documents = self.config.mapping_documents()
        if not documents:
            raise ConfigError(
                "There are no mappings yet: run `couplet setup --enable` or "
                "`couplet mappings reset`."
            )
        return catalogue.load(documents)

    def mapping(self, name: str) -> TableMapping:
        mappings = self.mappings()
        if name not in mappings:
            raise UnknownMappingError(
                f"there is no mapping named {name}; there are {', '.join(mappings)}"
            )
        return mappings[name]

    def reset_mappings(self, names: Sequence[str] | None = None) -> list[str]:
        """Restores default mappings (all, or the named ones) and their job queue entries."""
        connection = self.config.connection()
        features = connection.features if connection else Features()
        defaults = {d["name"]: d for d in catalogue.default_documents(features)}
        unknown = [n for n in names or () if n not in defaults]
        if unknown:
            raise UnknownMappingError(
                f"No default mapping named {', '.join(unknown)}; the defaults "
                f"are {', '.join(defaults)}."
            )
        if names:
            current = {d["name"]: d for d in self.config.mapping_documents()}
            current.update({n: defaults[n] for n in names})
            documents = list(current.values())
        else:
            documents = list(defaults.values())
        catalogue.load(documents)
        self.config.save_mapping_documents(documents, self.clock())
        self.schedule_mappings(
            [
                d["name"]
                for d in documents
                if d["name"] in defaults and (not names or d["name"] in names)
            ]
        )
        return [d["name"] for d in documents]

    def apply_connection(self, connection: Connection) -> Connection:
        """Stores a changed connection (`setup`, the REST connection endpoint). Switching
        sales order integration on an enabled connection sets the CRM organization's flag
        and adds the order mappings and jobs; switching it off is refused (ConfigError)
        while submitted CRM orders wait to be created, else clears the flag and removes
        them. A connection not enabled yet gets all that when it is enabled."""
        stored = self.config.connection()
        before = bool(stored and stored.enabled and stored.features.sales_order_integration)
        after = connection.enabled and connection.features.sales_order_integration
        if before and not after:
            order_integration.check_switch_off(self.context())
        self.save_connection(connection)
        if connection.enabled and before != after:
            self._switch_order_integration(connection.features, after)
        return connection

    def _switch_order_integration(self, features: Features, on: bool) -> None:
        order_integration.set_crm_flag(self.crm, on)
        # The mappings sales order integration brings (SALESORDER-ORDER in the defaults).
        names = sorted(
            _default_names(replace(features, sales_order_integration=True))
            - _default_names(replace(features, sales_order_integration=False))
        )
        if on:
            present = {d["name"] for d in self.config.mapping_documents()}
            missing = [n for n in names if n not in present]
            if missing:
                self.reset_mappings(missing)
        else:
            kept = [d for d in self.config.mapping_documents() if d["name"] not in names]
            catalogue.load(kept)
            self.config.save_mapping_documents(kept, self.clock())
            for name in names:
                self.queue.delete(name)
        self.schedule_flows()

    def schedule_flows(self) -> None:
        """The recurring jobs of the document flows the connection's features switch on."""
        features = self.connection().features
        for flow in FLOWS:
            if not flow.enabled(features):
                self.queue.delete(flow.name)
            elif self.queue.get(flow.name) is None:
                # Created resting, like Business Central's flow jobs: the first look comes
                # after one interval (or sooner, when woken).
                self.queue.upsert(
                    JobEntry(
                        name=flow.name,
                        kind=flow.kind,
                        interval_seconds=flow.interval_seconds,
                        inactivity_timeout_minutes=flow.inactivity_timeout_minutes,
                        max_attempts=flow.max_attempts,
                        status=JobStatus.ON_HOLD_INACTIVITY,
                        next_run_at=self.clock() + dt.timedelta(seconds=flow.interval_seconds),
                        description=flow.description,
                    )
                )
        if features.item_availability:
            documents = availability.with_inventory_field(self.config.mapping_documents())
            if documents is not None:
                self.config.save_mapping_documents(documents, self.clock())

    def publish_availability(self, client_id: str, secret: str) -> str:
        """Stores the ERP's item availability endpoint and a read-only ERP credential in the
        CRM's BC Connection entity, so the CRM can answer availability questions itself."""
        connection = self.connection()
        if not connection.features.item_availability:
            raise ConfigError(
                "Item availability is not enabled: run `couplet setup --item-availability`."
            )
        row = availability.connection_row(
            availability_url=self.erp.url("itemAvailability"),
            token_url=f"{connection.erp_url}/oauth2/token",
            client_id=client_id,
            secret=secret,
            web_url=connection.erp_url,
        )
        return availability.publish_connection(self.context(), row)

    def enable(self) -> tuple[Connection, list[str]]:
        """Enables synchronization (`setup --enable`): the first time, the default mappings
        and their job queue entries are created. Returns the connection and the mappings
        created (none when mappings exist already)."""
        connection = self.connection()
        if connection.enabled:
            return connection, []
        connection = replace(connection, enabled=True)
        self.save_connection(connection)
        created = [] if self.config.mapping_documents() else self.reset_mappings()
        if connection.features.sales_order_integration:
            self._switch_order_integration(connection.features, True)
        return connection, created

    def save_mappings(self, documents: Sequence[Mapping[str, Any]]) -> dict[str, TableMapping]:
        """Replaces every mapping with the documents, after checking every rule across the
        whole catalogue (MappingError names what to fix); refreshes their jobs."""
        try:
            loaded = catalogue.load(documents)
        except (TypeError, ValueError, AttributeError) as exc:
            # Wrong shapes inside a document (e.g. an unknown job setting) are input errors.
            raise MappingError(f"The mapping document is not valid: {exc}") from None
        self.config.save_mapping_documents(
            [catalogue.to_document(m) for m in loaded.values()], self.clock()
        )
        self.schedule_mappings(list(loaded))
        return loaded

    def replace_mapping(self, name: str, document: Mapping[str, Any]) -> TableMapping:
        """Replaces one mapping's document (same name) and checks the catalogue with it."""
        self.mapping(name)
        current = self.mappings()
        if document.get("name", name) != name:
            raise MappingError(f"The document is named {document.get('name')}, not {name}.")
        documents = [
            {**document, "name": name} if n == name else catalogue.to_document(m)
            for n, m in current.items()
        ]
        return self.save_mappings(documents)[name]

    def schedule_mappings(self, names: Sequence[str]) -> None:
        """Creates or refreshes the recurring job queue entry of each mapping."""
        mappings = self.mappings()
        for name in names:
            m = mappings[name]
            if not m.job.enabled:
                self.queue.delete(name)
                continue
            existing = self.queue.get(name)
            entry = JobEntry(
                name=name,
                kind="mapping",
                interval_seconds=m.job.interval_seconds,
                inactivity_timeout_minutes=m.job.inactivity_timeout_minutes,
                max_attempts=m.job.max_attempts,
                rerun_delay_seconds=m.job.rerun_delay_seconds,
                description=f"{name} - synchronization job",
            )
            if existing is not None:
                entry = replace(entry, status=existing.status, next_run_at=existing.next_run_at)
            self.queue.upsert(entry)

    @cached_property
    def crm(self) -> DataverseConnector:
        c = self.connection()
        return DataverseConnector(
            self.session(c.crm_url, c.crm_client_id, c.crm_client_secret), c.crm_url
        )

    @cached_property
    def erp(self) -> BusinessCentralConnector:
        c = self.connection()
        return BusinessCentralConnector(
            self.session(c.erp_url, c.erp_client_id, c.erp_client_secret), c.erp_url, c.erp_company
        )

    def context(self) -> Context:
        """Everything a synchronization needs, over the real systems and the SQL state."""
        connection = self.connection()
        if not connection.enabled:
            raise ConfigError("Synchronization is not enabled: run `couplet setup --enable`.")
        mappings = self.mappings()
        return Context(
            erp=self.erp,
            crm=self.crm,
            state=self.state,
            clock=self.clock,
            mappings=mappings,
            options=self.crm,
            blanks=self._blanks(mappings),
            features=connection.features,
            page_steps=PAGE_STEPS,
            lines_with_document=LINES_WITH_DOCUMENT,
        )

    def _blanks(self, mappings: dict[str, TableMapping]) -> dict[str, str]:
        """Business Central leaves the currency blank for its local currency (LCY), which
        the CRM holds as a currency row with that ISO code: that row stands for blank."""
        currency = roles.find(mappings, Role.CURRENCY)
        if currency is None:
            return {}
        if self._lcy_currency is None:
            response = self.erp.session.request("GET", self.erp.url("companyInformation"))
            rows = response.json().get("value", []) if response.status_code == 200 else []
            code = str(rows[0].get("currencyCode") or "") if rows else ""
            found = (
                [
                    r
                    for page in self.crm.query(
                        "transactioncurrencies",
                        filters=(Condition("isocurrencycode", Op.EQ, code),),
                    )
                    for r in page
                ]
                if code
                else []
            )
            self._lcy_currency = found[0].id if found else ""
        return {currency.name: self._lcy_currency} if self._lcy_currency else {}

    def run_entry(self, entry: JobEntry) -> RunOutcome:
        """What the worker does with a job queue entry: a recurring entry runs its mapping;
        a one-off entry (synchronize now) runs the mapping its payload names, for its rows."""
        if entry.kind == runs.KIND:
            return runs.perform(self.context(), entry)
        flow = flow_of_kind(entry.kind)
        if flow is not None:
            job = flow.run(self.context())
            return RunOutcome(idle=job is None or job.idle)
        if entry.kind != "mapping":
            raise ConfigError(f"No runner for jobs of kind '{entry.kind}'.")
        payload = dict(entry.payload)
        name = str(payload.get("mapping", entry.name))
        options = None
        if entry.one_off:
            direction = payload.get("direction")
            options = RunOptions(
                direction=Direction(str(direction)) if direction else None,
                force_modify=bool(payload.get("force_modify", False)),
                erp_ids=_ids(payload.get("erp_ids")),
                crm_ids=_ids(payload.get("crm_ids")),
            )
        jobs = synchronize(self.context(), name, options)
        return RunOutcome(idle=all(j.idle for j in jobs))

    def ensure_admin(self) -> str | None:
        """Creates the web app's admin with a new password when there is none yet; returns
        that password (to be shown once), or None when an admin exists."""
        if self.credentials.has_admin():
            return None
        password = new_password()
        self.credentials.set_admin(self.settings.admin_user, password)
        return password

    def request_run(self, action: str, params: Mapping[str, Any]) -> str:
        """Queues a run (see engine.runs); returns its id for polling."""
        run_id = uuid.uuid4().hex[:12]
        runs.request(self.queue, self.state, run_id, action, params, self.clock())
        return run_id

    def run_status(self, run_id: str) -> dict[str, Any] | None:
        return runs.status(self.queue, self.state, run_id)

    def run_now(self, run_id: str, timeout: float = 3600.0) -> dict[str, Any] | None:
        """Runs a queued run in this process (`?wait=true`), or, when a worker took it
        first, waits for that worker to finish it."""
        self.worker().run_named(runs.entry_name(run_id))
        deadline = time.monotonic() + timeout
        shown = self.run_status(run_id)
        while shown is not None and shown["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            shown = self.run_status(run_id)
        return shown

    def sales_setup(self) -> SalesSetup:
        """The ERP's sales setup (write-in product, freight account) for order creation."""
        return sales_setup(self.context())

    def wake_changed(self) -> list[str]:
        """Wakes the sleeping jobs that have work: mappings whose data changed on either
        side, the order job when submitted orders wait."""
        woken: list[str] = []
        sleeping = [e for e in self.queue.entries() if e.status is JobStatus.ON_HOLD_INACTIVITY]
        if not sleeping:
            return woken
        ctx = self.context()
        for entry in sleeping:
            flow = flow_of_kind(entry.kind)
            if entry.kind == "mapping":
                due = entry.name in ctx.mappings and has_work(ctx, entry.name)
            else:
                due = flow is not None and flow.has_work(ctx)
            if due:
                self.queue.upsert(wake(entry, self.clock()))
                woken.append(entry.name)
        return woken

    def worker(self) -> Worker:
        return Worker(self.queue, self.run_entry, self.clock)

    @property
    def distributed(self) -> bool:
        """Whether the database can carry procrastinate (PostgreSQL) for many workers."""
        return self.db.dialect.name == "postgresql"

    def procrastinate(self) -> ProcrastinateBackend:
        """The job queue's entries run through procrastinate (see jobs.procrastinate_backend)."""
        if not self.distributed:
            raise ConfigError(
                "The procrastinate backend needs the engine database on PostgreSQL "
                "(COUPLET_ENGINE_DATABASE_URL=postgresql://...)."
            )
        return ProcrastinateBackend(
            conninfo(self.settings.database_url),
            self.queue,
            self.run_entry,
            self.clock,
            when_idle=self.wake_changed,
        )

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.db.dispose()


def open_engine(
    settings: EngineSettings | None = None,
    *,
    client_factory: ClientFactory = default_client,
    clock: Callable[[], dt.datetime] = utc_now,
) -> Engine:
    settings = settings or EngineSettings()
    db = make_engine(settings.database_url)
    migrate(db)
    key = load_key(settings.database_url, settings.secret_key)
    credentials = SqlCredentials(db)
    if settings.admin_password and not credentials.check_password(
        settings.admin_user, settings.admin_password
    ):
        credentials.set_admin(settings.admin_user, settings.admin_password)
    return Engine(
        settings,
        db,
        SqlConfig(db, SecretBox(key)),
        SqlState(db),
        SqlJobQueue(db),
        credentials,
        clock,
        client_factory,
        session_key=hashlib.sha256(b"couplet-session:" + key).hexdigest(),
    )


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_connection(engine: Engine, connection: Connection) -> list[Check]:
    """Signs in to both systems and checks what the integration needs, naming what is wrong."""
    checks: list[Check] = []
    crm = engine.session(connection.crm_url, connection.crm_client_id, connection.crm_client_secret)
    try:
        who = crm.request("GET", f"{connection.crm_url}/api/data/v9.2/WhoAmI")
        if who.status_code == 200:
            checks.append(Check("CRM sign-in", True, f"signed in as user {who.json()['UserId']}"))
        else:
            checks.append(Check("CRM sign-in", False, error_message(who)))
    except (CoupletError, httpx.HTTPError) as exc:
        checks.append(Check("CRM sign-in", False, _reason(exc, connection.crm_url)))
    erp = engine.session(connection.erp_url, connection.erp_client_id, connection.erp_client_secret)
    try:
        companies = erp.request("GET", f"{connection.erp_url}/api/v2.0/companies")
        if companies.status_code != 200:
            checks.append(Check("ERP sign-in", False, error_message(companies)))
        else:
            checks.append(Check("ERP sign-in", True, "signed in"))
            names = [c.get("name") for c in companies.json().get("value", [])]
            found = connection.erp_company in names
            checks.append(
                Check(
                    "ERP company",
                    found,
                    f"company '{connection.erp_company}' "
                    + ("found" if found else f"not found; the ERP has {names}"),
                )
            )
    except (CoupletError, httpx.HTTPError) as exc:
        checks.append(Check("ERP sign-in", False, _reason(exc, connection.erp_url)))
    return checks


def _reason(exc: Exception, url: str) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach {url}: is the service running?"
    return str(exc)
