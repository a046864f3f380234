"""Benchmark of the reference ERP over HTTP: paged reads, batched writes and posting.

Runs `couplet serve erp` as a separate process on 127.0.0.1 (a free port) over a fresh
database, then measures what the integration engine and order processors do most:

- reading every customer through server-driven paging (`Prefer: odata.maxpagesize`,
  following `@odata.nextLink`), with all fields and with a typical `$select`;
- creating customers through JSON `$batch` (100 requests each, Business Central's limit),
  against one POST per row;
- posting: orders per second, each created with its lines (deep insert), released
  and shipped and invoiced.

The customers read are seeded straight into the database first (the seed's bulk path),
so setting up 100,000 rows takes seconds rather than the time being measured.

    .venv/bin/python bench/erp_bench.py                      # full scale, SQLite
    .venv/bin/python bench/erp_bench.py --customers 5000 --writes 1000 --per-row-writes 200 \\
        --orders 50
    .venv/bin/python bench/erp_bench.py --database-url postgresql://user@127.0.0.1/empty_db

Results go to bench/results/erp-<date>.json (erp-<date>-postgresql.json on PostgreSQL);
see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    RESULTS,
    Server,
    backend,
    environment,
    figures,
    report,
    token,
)

from couplet.apps.erp.seed import open_erp_tx, seed_erp
from couplet.settings import ErpSettings

API = "/api/v2.0"
CUSTOM = "/api/couplet/integration/v1.0"
BATCH_SIZE = 100  # Business Central's most requests in one $batch
# The fields a customer mapping reads (roughly what the engine will $select).
SELECTED = (
    "id,number,displayName,addressLine1,addressLine2,city,state,postalCode,country,"
    "phoneNumber,email,website,salespersonCode,currencyCode,paymentTermsCode,"
    "shipmentMethodCode,creditLimit,blocked,primaryContactNumber,lastModifiedDateTime"
)


def main() -> None:
    args = _arguments()
    workdir = Path(tempfile.mkdtemp(prefix="couplet-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/erp.db"
    settings = ErpSettings(
        database_url=url, admin_client_id=CLIENT_ID, admin_client_secret=CLIENT_SECRET
    )
    results: dict[str, Any] = {}
    try:
        print(f"Seeding {args.customers} customers into {backend(url)} …", flush=True)
        started = time.perf_counter()
        with open_erp_tx(settings) as tx:
            seed_erp(
                tx,
                customers=args.customers,
                contacts_per_customer=0,
                items=20,
                resources=0,
                quotes=0,
                orders=0,
                invoices=0,
            )
        results["seed_direct"] = figures(args.customers, time.perf_counter() - started)
        report("seed (direct, not HTTP)", results["seed_direct"])
        server = Server("erp", url, workdir, API + "/")
        with server as base, httpx.Client(base_url=base, timeout=600) as http:
            http.headers.update({"Authorization": f"Bearer {token(http)}"})
            company = http.get(API + "/companies").raise_for_status().json()["value"][0]["id"]
            scope = f"/companies({company})"
            for name, select in (
                ("read_paged_all_fields", None),
                ("read_paged_selected_fields", SELECTED),
            ):
                results[name] = _read_all(http, scope, args.page_size, select, args.customers)
                report(name, results[name])
            results["write_batch"] = _write_batch(http, scope, args.writes)
            report("write_batch", results["write_batch"])
            results["write_per_row"] = _write_per_row(http, scope, args.per_row_writes)
            report("write_per_row", results["write_per_row"])
            results["post_orders"] = _post_orders(http, scope, args.orders, args.lines)
            report("post_orders", results["post_orders"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    suffix = "" if backend(url) == "sqlite" else f"-{backend(url)}"
    output = args.output or RESULTS / f"erp-{dt.date.today().isoformat()}{suffix}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "erp",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "parameters": {k: v for k, v in vars(args).items() if k != "output"}
        | {"database_url": backend(url)},
        "environment": environment(url),
        "results": results,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Results written to {output}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--customers", type=int, default=100_000, help="customers seeded and read (100000)")
    add("--writes", type=int, default=10_000, help="customers created through $batch (10000)")
    add("--per-row-writes", type=int, default=2_000, help="customers created one POST each (2000)")
    add("--orders", type=int, default=500, help="orders created, released, shipped, invoiced (500)")
    add("--lines", type=int, default=3, help="item lines per order (3)")
    add("--page-size", type=int, default=20_000, help="Prefer: odata.maxpagesize (20000, BC's)")
    add("--database-url", help="an empty database (default: fresh SQLite)")
    add("--output", type=Path, help="results file (default bench/results/erp-<date>.json)")
    return parser.parse_args()


def _read_all(
    http: httpx.Client, scope: str, page_size: int, select: str | None, expected: int
) -> dict[str, Any]:
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    url: str | None = f"{API}{scope}/customers" + (f"?$select={select}" if select else "")
    rows = pages = 0
    started = time.perf_counter()
    while url:
        r = http.get(url, headers=headers)
        r.raise_for_status()
        body = r.json()
        rows += len(body["value"])
        pages += 1
        url = body.get("@odata.nextLink")
    seconds = time.perf_counter() - started
    if rows != expected:
        raise SystemExit(f"Read {rows} customers through paging, expected {expected}.")
    return figures(rows, seconds, pages=pages, page_size=page_size)


def _customer(n: int) -> dict[str, Any]:
    return {
        "displayName": f"Bench Customer {n:07d}",
        "addressLine1": f"{n % 400 + 1} Station Road",
        "city": "Leeds",
        "postalCode": "LS1 4BA",
        "country": "GB",
        "phoneNumber": "+44 20 7946 0000",
        "email": f"orders{n}@bench.example.com",
        "paymentTermsCode": "30 DAYS",
        "currencyCode": "GBP",
    }


def _write_batch(http: httpx.Client, scope: str, rows: int) -> dict[str, Any]:
    bodies = [
        {
            "requests": [
                {
                    "id": str(n),
                    "method": "POST",
                    "url": f"{scope.lstrip('/')}/customers",
                    "headers": {"Content-Type": "application/json"},
                    "body": _customer(n),
                }
                for n in range(start, min(rows, start + BATCH_SIZE))
            ]
        }
        for start in range(0, rows, BATCH_SIZE)
    ]
    started = time.perf_counter()
    for body in bodies:
        r = http.post(API + "/$batch", json=body)
        r.raise_for_status()
        statuses = [answer["status"] for answer in r.json()["responses"]]
        if statuses != [201] * len(body["requests"]):
            raise SystemExit(f"A $batch did not create every customer:\n{r.text[:2000]}")
    return figures(rows, time.perf_counter() - started, requests=len(bodies), batch_size=BATCH_SIZE)


def _write_per_row(http: httpx.Client, scope: str, rows: int) -> dict[str, Any]:
    bodies = [_customer(1_000_000 + n) for n in range(rows)]
    started = time.perf_counter()
    for body in bodies:
        r = http.post(f"{API}{scope}/customers", json=body)
        if r.status_code != 201:
            raise SystemExit(f"POST customers answered {r.status_code}: {r.text}")
    return figures(rows, time.perf_counter() - started, requests=rows)


def _post_orders(http: httpx.Client, scope: str, orders: int, lines: int) -> dict[str, Any]:
    """Each order: a deep insert with `lines` item lines, release, then shipAndInvoice."""
    items = http.get(f"{API}{scope}/items", params={"$select": "number"}).raise_for_status()
    numbers = [i["number"] for i in items.json()["value"]]
    customers = http.get(
        f"{API}{scope}/customers", params={"$select": "number", "$top": "1000"}
    ).raise_for_status()
    buyers = [c["number"] for c in customers.json()["value"]]
    started = time.perf_counter()
    for n in range(orders):
        body = {
            "customerNumber": buyers[n % len(buyers)],
            "salesOrderLines": [
                {"lineObjectNumber": numbers[(n + k) % len(numbers)], "quantity": 1 + k}
                for k in range(lines)
            ],
        }
        r = http.post(f"{API}{scope}/salesOrders", json=body)
        if r.status_code != 201:
            raise SystemExit(f"POST salesOrders answered {r.status_code}: {r.text}")
        order = r.json()["id"]
        for path in (
            f"{CUSTOM}{scope}/salesOrders({order})/Microsoft.NAV.release",
            f"{API}{scope}/salesOrders({order})/Microsoft.NAV.shipAndInvoice",
        ):
            r = http.post(path)
            if r.status_code != 204:
                raise SystemExit(f"POST {path} answered {r.status_code}: {r.text}")
    seconds = time.perf_counter() - started
    return figures(orders, seconds, lines_per_order=lines, requests=3 * orders)


if __name__ == "__main__":
    main()
