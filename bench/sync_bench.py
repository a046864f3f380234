"""Benchmark: the engine's synchronization over HTTP against both reference services.

Starts `couplet serve crm` and `couplet serve erp` as their own processes on 127.0.0.1
(free ports) over fresh databases, seeds customers with one person contact each straight
into the ERP database, then measures through the engine (connectors over HTTP, SQL state):

- `full_sync_customers` / `full_sync_contacts`: every ERP customer, then every person
  contact, created in the CRM and coupled (a full synchronization ERP -> CRM);
- `first_scheduled_run`: the next scheduled CUSTOMER run, which reads back once the rows
  the full synchronization wrote (all unchanged);
- `incremental_run`: a scheduled CUSTOMER run after `--changes` customers changed in the ERP,
  over all the coupled records;
- `batched_small` / `per_record_small`: the same full synchronization of `--small`
  further customers with the engine's bulk paths (pages, reads by id, `$batch`) and with
  one request per record (page size 1, batch size 1), each on its own engine database.

Results go to `bench/results/sync-<date>.json` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROBE,
    Server,
    databases,
    engine_for,
    report,
    save_results,
)
from harness import figures as measured

from couplet.apps._common.bulk import insert_many
from couplet.apps._common.records import SYSTEM, NoRules, Tx
from couplet.apps._common.service import ODataService
from couplet.apps.erp.app import create_app as create_erp
from couplet.apps.erp.blanks import fill_blanks
from couplet.connectors.business_central.connector import BusinessCentralConnector
from couplet.connectors.dataverse.connector import DataverseConnector
from couplet.engine.context import Context
from couplet.engine.model import Direction
from couplet.engine.runner import RunOptions, synchronize
from couplet.operations.integration import Integration
from couplet.settings import ErpSettings
from couplet.wiring import Sessions

RESULTS = Path(__file__).parent / "results"
CHUNK = 5000


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        urls = stack.enter_context(databases(args.postgres, work, 5))
        crm_db, erp_db, engine_db, batched_db, single_db = urls
        t = time.perf_counter()
        seeded = _seed_erp(erp_db, args.customers + 2 * args.small)
        figures: dict[str, Any] = {"seed_erp_direct": measured(seeded, time.perf_counter() - t)}
        report("seed_erp_direct", figures["seed_erp_direct"])
        crm = stack.enter_context(Server("crm", crm_db, work, PROBE))
        erp = stack.enter_context(Server("erp", erp_db, work, PROBE))
        customers = _customer_ids(erp_db)
        big = customers[: args.customers]
        small_a = customers[args.customers : args.customers + args.small]
        small_b = customers[args.customers + args.small :]

        engine = engine_for(engine_db, crm, erp)
        ctx = engine.context()
        full = RunOptions(direction=Direction.ERP_TO_CRM, only_coupled=False, force_modify=True)
        for name in ("CUSTOMER", "CONTACT"):
            key = f"full_sync_{name.lower()}s"
            t = time.perf_counter()
            jobs = synchronize(ctx, name, RunOptions(**{**full.__dict__, "watermark_key": key}))
            figures[key] = measured(jobs[0].inserted, time.perf_counter() - t, job=_counts(jobs))
            report(key, figures[key])
        # The first scheduled run reads back, once, the rows the full sync wrote.
        t = time.perf_counter()
        jobs = synchronize(ctx, "CUSTOMER")
        figures["first_scheduled_run"] = measured(
            len(big), time.perf_counter() - t, job=_counts(jobs)
        )
        report("first_scheduled_run", figures["first_scheduled_run"])
        _change_customers(erp, big[:: max(1, len(big) // args.changes)][: args.changes])
        t = time.perf_counter()
        jobs = synchronize(ctx, "CUSTOMER")
        figures["incremental_run"] = measured(
            sum(j.modified for j in jobs),
            time.perf_counter() - t,
            job=_counts(jobs),
            coupled_records=len(big),
        )
        report("incremental_run", figures["incremental_run"])
        engine.close()

        for key, db, ids, size in (
            ("batched_small", batched_db, small_a, None),
            ("per_record_small", single_db, small_b, 1),
        ):
            other = engine_for(db, crm, erp)
            run = RunOptions(direction=Direction.ERP_TO_CRM, only_coupled=False, erp_ids=tuple(ids))
            t = time.perf_counter()
            jobs = synchronize(_context(other, size), "CUSTOMER", run)
            figures[key] = measured(jobs[0].inserted, time.perf_counter() - t, job=_counts(jobs))
            report(key, figures[key])
            other.close()

    save_results("sync", vars(args), figures, started, args.postgres)


def _arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=100_000, help="full sync size")
    p.add_argument(
        "--changes", type=int, default=100, help="customers changed before the incremental run"
    )
    p.add_argument(
        "--small", type=int, default=1000, help="size of the batched vs per-record comparison"
    )
    p.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="run on PostgreSQL: a server URL allowed to create and drop databases",
    )
    return p.parse_args()


# -- databases and services ---------------------------------------------------------------


def _seed_erp(url: str, customers: int) -> int:
    """Customers, their company contacts and one person each, straight into the database.

    The ERP's own rules create a company contact per customer one statement at a time;
    here the three kinds of rows are written in bulk with what those rules would write
    (numbers, business relation, company name and related customer), rules switched off.
    """
    app = create_erp(ErpSettings(database_url=url))  # schema, company, setup
    service: ODataService = app.state.service
    model = service.model
    with service.transactions.begin() as conn:
        tx = Tx(conn, model, SYSTEM, NoRules(), service.clock)
        company = tx.first("company")
        assert company is not None
        for start in range(0, customers, CHUNK):
            batch = range(start, min(customers, start + CHUNK))
            rows: dict[str, list[dict[str, Any]]] = {"customer": [], "contact": []}
            for n in batch:
                cid = str(uuid.uuid4())
                name = f"Bench Customer {n:06d}"
                shared = {"companyId": company["id"], "city": "Seattle"}
                rows["customer"].append(
                    {"id": cid, "number": f"BC{n:06d}", "displayName": name, **shared}
                )
                relation = {
                    "customerId": cid,
                    "contactBusinessRelation": "Customer",
                    "companyNumber": f"BK{n:06d}",
                    "companyName": name,
                }
                rows["contact"].append(
                    {
                        "id": str(uuid.uuid4()),
                        "number": f"BK{n:06d}",
                        "type": "Company",
                        "displayName": name,
                        **relation,
                        **shared,
                    }
                )
                rows["contact"].append(
                    {
                        "id": str(uuid.uuid4()),
                        "number": f"BP{n:06d}",
                        "type": "Person",
                        "firstName": "Pat",
                        "surname": f"Person {n:06d}",
                        "displayName": f"Pat Person {n:06d}",
                        **relation,
                        **shared,
                    }
                )
            for entity, values in rows.items():
                definition = model.entity(entity)
                for v in values:
                    for f in definition.fields:
                        if f.name not in v and f.default is not None:
                            v[f.name] = f.default() if callable(f.default) else f.default
                    fill_blanks(definition, v)
                insert_many(tx, entity, values)
    app.state.engine.dispose()
    return customers


def _customer_ids(url: str) -> list[str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        ids = conn.execute(sa.text('SELECT id FROM customer ORDER BY "number"')).scalars()
        result = [str(i) for i in ids]
    engine.dispose()
    return result


# -- the engine ---------------------------------------------------------------------------


def _context(engine: Integration, size: int | None) -> Context:
    """The engine's context, or one that makes one request per record (`size` 1)."""
    ctx = engine.context()
    if size is None:
        return ctx
    c = engine.connection()
    # Left open: the benchmark process ends soon after.
    sessions = Sessions()
    crm = DataverseConnector(sessions.crm(c), c.crm_url, batch_size=size)
    erp = BusinessCentralConnector(
        sessions.erp(c),
        c.erp_url,
        c.erp_company,
        batch_size=size,
    )
    return Context(
        erp=erp,
        crm=crm,
        state=ctx.state,
        clock=ctx.clock,
        mappings=ctx.mappings,
        options=crm,
        page_size=size,
    )


def _change_customers(erp_base: str, ids: list[str]) -> None:
    with httpx.Client(base_url=erp_base, timeout=60) as http:
        token = http.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        ).json()["access_token"]
        company = http.get(
            "/api/v2.0/companies", headers={"Authorization": f"Bearer {token}"}
        ).json()["value"][0]["id"]
        for n, ident in enumerate(ids):
            r = http.patch(
                f"/api/v2.0/companies({company})/customers({ident})",
                json={"phoneNumber": f"555-{n:04d}"},
                headers={"Authorization": f"Bearer {token}", "If-Match": "*"},
            )
            r.raise_for_status()


# -- reporting ----------------------------------------------------------------------------


def _counts(jobs: list[Any]) -> list[dict[str, Any]]:
    keys = ("inserted", "modified", "unchanged", "skipped", "failed")
    return [{"direction": str(j.direction), **{k: getattr(j, k) for k in keys}} for j in jobs]


if __name__ == "__main__":
    main()
