"""`couplet sync`, `full-sync` and `worker`: running synchronization."""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Annotated, Any

import typer

from ..engine import shapes
from ..engine.context import Context
from ..engine.errors import ConfigError, CoupletError
from ..engine.manual import synchronize_now
from ..engine.model import Direction, JobLog
from ..engine.runner import synchronize_many
from ..operations.ids import record_ids
from ..operations.integration import Integration
from .common import (
    EXIT_FAILED_RECORDS,
    console,
    integration_session,
    print_json,
    print_table,
    spinner,
)

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DbUrl = Annotated[str | None, typer.Option(help="Engine database URL")]
Ids = Annotated[list[str] | None, typer.Option(help="Record GUID (repeat for several)")]
# Another run of these mappings (a worker's, another `couplet sync`) holds their leases:
# wait this long for it, then exit 1 saying which job has them (docs/operations.md, "One
# run per mapping").
Wait = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait for another run of these mappings to finish (default: do not "
        "wait; exit 1 naming the job that runs them)",
    ),
]


def show_jobs(jobs: list[JobLog], json_output: bool, title: str = "Synchronization jobs") -> None:
    show_job_rows([shapes.job(j) for j in jobs], json_output, title)


def show_job_rows(
    rows: list[dict[str, Any]], json_output: bool, title: str = "Synchronization jobs"
) -> None:
    """Jobs as `shapes.job` gives them (also what a queued run's result holds)."""
    if json_output:
        print_json(rows)
        return
    columns = ("inserted", "modified", "deleted", "unchanged", "skipped", "failed", "coupled")
    print_table(
        title,
        ["Mapping", "Direction", "Ins", "Mod", "Del", "Unch", "Skip", "Fail", "Coupled", "Message"],
        [[j["mapping"], j["direction"], *(j[c] for c in columns), j["message"]] for j in rows],
    )


def exit_for_failures(jobs: list[JobLog]) -> None:
    if any(j.failed for j in jobs):
        raise typer.Exit(EXIT_FAILED_RECORDS)


def sync(
    mappings: Annotated[list[str] | None, typer.Argument(help="Mappings (all if none)")] = None,
    direction: Annotated[Direction | None, typer.Option(help="Only this direction")] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Send every record again, coupled or not (full synchronization of these mappings)",
        ),
    ] = False,
    erp_id: Ids = None,
    crm_id: Ids = None,
    wait: Wait = 0.0,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """Synchronize modified records now (all mappings in dependency order), or one record."""
    with integration_session(database_url) as integration:
        ctx = integration.context()
        for name in mappings or ():
            ctx.mapping(name)
        if not (erp_id or crm_id):
            joined = integration.joinable_sync(mappings, direction=direction, full=full)
            if joined is not None:
                _join(integration, joined, mappings, wait, json_output)
                return
        with integration.holding(mappings, wait):
            _sync(ctx, mappings, direction, full, erp_id, crm_id, json_output)


def _join(
    integration: Integration,
    run_id: str,
    mappings: list[str] | None,
    wait: float,
    json_output: bool,
) -> None:
    """A run queued (REST API, admin pages) or running (a worker) does this sync already:
    run it here if it waits, else wait up to `wait` seconds for the worker running it."""
    if not json_output:
        console.print(f"Joining run {run_id}, already queued or running.")
    shown = integration.run_now(run_id, timeout=wait)
    if shown is None:
        raise CoupletError(f"Run {run_id} is gone.")
    if shown["status"] in ("queued", "running"):
        what = ", ".join(mappings) if mappings else "The synchronization"
        # A run waiting for a lease says who has it; one running elsewhere is the job.
        raise CoupletError(shown.get("error") or f"{what} is running in job {run_id}.")
    if shown["status"] != "finished":
        raise CoupletError(f"Run {run_id} is {shown['status']}: {shown.get('error')}")
    rows = list(shown["result"].get("jobs", []))
    show_job_rows(rows, json_output)
    if any(j["failed"] for j in rows):
        raise typer.Exit(EXIT_FAILED_RECORDS)


def _sync(
    ctx: Context,
    mappings: list[str] | None,
    direction: Direction | None,
    full: bool,
    erp_id: list[str] | None,
    crm_id: list[str] | None,
    json_output: bool,
) -> None:
    if erp_id or crm_id:
        if not mappings or len(mappings) != 1:
            raise ConfigError("Name exactly one mapping to synchronize single records.")
        mapping = ctx.mapping(mappings[0])
        result = synchronize_now(
            ctx,
            mapping.name,
            direction or mapping.direction,
            erp_ids=record_ids(erp_id or (), "ERP record"),
            crm_ids=record_ids(crm_id or (), "CRM row"),
        )
        if json_output:
            print_json(shapes.sync_now(result))
        else:
            console.print(result.summary)
            for source, why in result.skipped.items():
                console.print(f"  skipped {source}: {why}")
            show_jobs(list(result.jobs), False)
        exit_for_failures(list(result.jobs))
        return
    with spinner(json_output) as progress:
        task = progress.add_task("Synchronizing", total=len(mappings or ctx.mappings))

        def running(name: str) -> None:
            progress.update(task, description=f"Synchronizing {name}")
            progress.advance(task)

        jobs = synchronize_many(ctx, mappings, direction=direction, full=full, on_mapping=running)
    show_jobs(jobs, json_output)
    exit_for_failures(jobs)


def full_sync_command(
    start: Annotated[bool, typer.Option("--start", help="Start the lines that are ready")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Run every wave until done (implied by --start: runs happen in this process)",
        ),
    ] = False,
    restart: Annotated[
        list[str] | None,
        typer.Option(
            "--restart",
            metavar="LINE",
            help="Put this line back to not started, then start (repeatable)",
        ),
    ] = None,
    all_failed: Annotated[
        bool,
        typer.Option("--all-failed", help="Put every failed line back to not started, then start"),
    ] = False,
    json_output: Json = False,
    database_url: DbUrl = None,
) -> None:
    """The full synchronization review: a recommendation per mapping; --start runs it in
    dependency waves (resumable: running it again continues where it stopped, and runs the
    failed lines again)."""
    with integration_session(database_url) as integration:
        if restart or all_failed:
            integration.restart_full_sync(restart or (), all_failed=all_failed)
        if start or wait or restart or all_failed:
            with spinner(json_output) as progress:
                progress.add_task("Full synchronization in dependency waves…")
                lines = integration.run_full_sync_here()
        else:
            lines = integration.review_full_sync()
        rows = [shapes.full_sync_line(x) for x in lines]
        if json_output:
            print_json(rows)
        else:
            print_table(
                "Full synchronization review",
                [
                    "Mapping",
                    "Direction",
                    "Recommendation",
                    "Status",
                    "ERP→CRM",
                    "CRM→ERP",
                    "Message",
                ],
                [
                    [
                        r["name"],
                        r["direction"],
                        r["recommendation"],
                        r["status"],
                        r["erp_to_crm"],
                        r["crm_to_erp"],
                        r["message"],
                    ]
                    for r in rows
                ],
            )
        if any(shapes.line_failed(x) for x in lines):
            raise typer.Exit(EXIT_FAILED_RECORDS)


class Backend(StrEnum):
    AUTO = "auto"
    PROCRASTINATE = "procrastinate"
    EMBEDDED = "embedded"


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run what is due, then stop")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the job queue")] = 1.0,
    backend: Annotated[
        Backend,
        typer.Option(
            help="procrastinate (PostgreSQL; any number of workers on any machines), embedded "
            "(in-process polling of the job queue), or auto: procrastinate on PostgreSQL"
        ),
    ] = Backend.AUTO,
    database_url: DbUrl = None,
) -> None:
    """Run scheduled jobs: each mapping's recurring job, one-off jobs; Ctrl-C stops."""
    with integration_session(database_url) as integration:
        chosen = backend
        if chosen is Backend.AUTO:
            chosen = Backend.PROCRASTINATE if integration.distributed else Backend.EMBEDDED
        stop = threading.Event()
        if chosen is Backend.PROCRASTINATE:
            distributed = integration.procrastinate()
            if once:
                distributed.run_until_idle()
                console.print("Ran the due jobs through procrastinate.")
                return
            console.print(f"Worker {distributed.name} (procrastinate) running; Ctrl-C stops it.")
            try:
                distributed.run_forever(stop)
            except KeyboardInterrupt:
                stop.set()
            return
        work = integration.worker()
        if once:
            ran = work.run_until_idle()
            console.print(f"Ran {ran} job(s).")
            return
        console.print(f"Worker {work.name} running; Ctrl-C stops it.")
        try:
            work.run_forever(stop, poll, integration.wake_changed)
        except KeyboardInterrupt:
            stop.set()
