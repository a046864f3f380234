"""Benchmark of the reference CRM over HTTP: paged reads and bulk writes.

Runs `couplet serve crm` as a separate process on 127.0.0.1 (a free port) over a fresh
database, then measures what the integration engine will do most:

- reading every account through server-driven paging (`Prefer: odata.maxpagesize`,
  following `@odata.nextLink`), with all columns and with a typical `$select`;
- creating accounts through multipart `$batch` change sets, against one POST per row.

The accounts read are seeded straight into the database first (the seed's bulk path), so
setting up 100,000 rows takes seconds rather than the time being measured.

    .venv/bin/python bench/crm_bench.py                      # full scale, SQLite
    .venv/bin/python bench/crm_bench.py --accounts 5000 --writes 1000 --per-row-writes 200
    .venv/bin/python bench/crm_bench.py --database-url postgresql://user@127.0.0.1/empty_db

Results go to bench/results/crm-<date>.json (crm-<date>-postgresql.json on PostgreSQL);
see bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
import uuid
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

from couplet.apps.crm.app import API_ROOT
from couplet.apps.crm.seed import open_crm_tx, seed_crm
from couplet.settings import CrmSettings

# The columns a customer mapping reads (roughly what the engine will $select).
SELECTED = (
    "accountid,name,accountnumber,address1_line1,address1_city,address1_postalcode,"
    "address1_country,telephone1,emailaddress1,websiteurl,paymenttermscode,"
    "customertypecode,_transactioncurrencyid_value,_primarycontactid_value,"
    "statecode,modifiedon"
)


def main() -> None:
    args = _arguments()
    workdir = Path(tempfile.mkdtemp(prefix="couplet-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/crm.db"
    settings = CrmSettings(
        database_url=url, admin_client_id=CLIENT_ID, admin_client_secret=CLIENT_SECRET
    )
    results: dict[str, Any] = {}
    try:
        print(f"Seeding {args.accounts} accounts into {backend(url)} …", flush=True)
        started = time.perf_counter()
        with open_crm_tx(settings) as tx:
            seed_crm(
                tx, accounts=args.accounts, contacts_per_account=0, products=0, quotes=0, orders=0
            )
        results["seed_direct"] = figures(args.accounts, time.perf_counter() - started)
        report("seed (direct, not HTTP)", results["seed_direct"])
        with (
            Server("crm", url, workdir, API_ROOT + "/") as base,
            httpx.Client(base_url=base, timeout=600) as http,
        ):
            http.headers.update(
                {
                    "Authorization": f"Bearer {token(http)}",
                    "OData-Version": "4.0",
                    "Accept": "application/json",
                }
            )
            for name, select in (
                ("read_paged_all_columns", None),
                ("read_paged_selected_columns", SELECTED),
            ):
                results[name] = _read_all(http, args.page_size, select, args.accounts)
                report(name, results[name])
            currency = _base_currency(http)
            results["write_batch"] = _write_batch(http, args.writes, args.changeset_size, currency)
            report("write_batch", results["write_batch"])
            results["write_per_row"] = _write_per_row(http, args.per_row_writes, currency)
            report("write_per_row", results["write_per_row"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    suffix = "" if backend(url) == "sqlite" else f"-{backend(url)}"
    output = args.output or RESULTS / f"crm-{dt.date.today().isoformat()}{suffix}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "crm",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "parameters": {k: v for k, v in vars(args).items() if k != "output"}
        | {"database_url": backend(url)},
        "environment": environment(url),
        "results": results,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Results written to {output}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--accounts",
        type=int,
        default=100_000,
        help="accounts seeded and read back through paging (default 100000)",
    )
    parser.add_argument(
        "--writes", type=int, default=10_000, help="accounts created through $batch (default 10000)"
    )
    parser.add_argument(
        "--per-row-writes",
        type=int,
        default=2_000,
        help="accounts created with one POST each (default 2000)",
    )
    parser.add_argument(
        "--changeset-size",
        type=int,
        default=1_000,
        help="requests per $batch change set (default 1000, the maximum)",
    )
    parser.add_argument(
        "--page-size", type=int, default=5_000, help="Prefer: odata.maxpagesize (default 5000)"
    )
    parser.add_argument("--database-url", help="an empty database (default: fresh SQLite)")
    parser.add_argument(
        "--output", type=Path, help="results file (default bench/results/crm-<date>[-backend].json)"
    )
    return parser.parse_args()


def _base_currency(http: httpx.Client) -> str:
    r = http.get(API_ROOT + "/organizations", params={"$select": "_basecurrencyid_value"})
    r.raise_for_status()
    return str(r.json()["value"][0]["_basecurrencyid_value"])


# -- measurements -------------------------------------------------------------------------


def _read_all(
    http: httpx.Client, page_size: int, select: str | None, expected: int
) -> dict[str, Any]:
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    url: str | None = API_ROOT + "/accounts" + (f"?$select={select}" if select else "")
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
        raise SystemExit(f"Read {rows} accounts through paging, expected {expected}.")
    return figures(rows, seconds, pages=pages, page_size=page_size)


def _account(n: int, currency: str) -> dict[str, Any]:
    return {
        "name": f"Bench Account {n:06d}",
        "accountnumber": f"B{n:06d}",
        "address1_line1": f"{n % 400 + 1} Station Road",
        "address1_city": "Leeds",
        "address1_postalcode": "LS1 4BA",
        "address1_country": "United Kingdom",
        "telephone1": "+44 20 7946 0000",
        "emailaddress1": f"orders{n}@bench.example.com",
        "customertypecode": 3,
        "paymenttermscode": 1,
        "transactioncurrencyid@odata.bind": f"/transactioncurrencies({currency})",
    }


def _changeset_body(accounts: list[dict[str, Any]]) -> tuple[bytes, str]:
    """One $batch request holding one change set of POSTs (Dataverse's multipart format)."""
    batch, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    parts = [f"--{batch}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
    for i, account in enumerate(accounts, 1):
        parts += [
            f"--{changeset}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: {i}",
            "",
            f"POST {API_ROOT}/accounts HTTP/1.1",
            "Content-Type: application/json; type=entry",
            "",
            json.dumps(account),
        ]
    parts += [f"--{changeset}--", "", f"--{batch}--", ""]
    return "\r\n".join(parts).encode(), f"multipart/mixed; boundary={batch}"


def _write_batch(http: httpx.Client, rows: int, size: int, currency: str) -> dict[str, Any]:
    chunks = [
        [_account(n, currency) for n in range(start, min(rows, start + size))]
        for start in range(0, rows, size)
    ]
    bodies = [(_changeset_body(chunk), len(chunk)) for chunk in chunks]
    started = time.perf_counter()
    for (body, content_type), count in bodies:
        r = http.post(API_ROOT + "/$batch", content=body, headers={"Content-Type": content_type})
        r.raise_for_status()
        if r.text.count("HTTP/1.1 204") != count:
            raise SystemExit(f"A change set did not create every account:\n{r.text[:2000]}")
    return figures(rows, time.perf_counter() - started, requests=len(bodies), changeset_size=size)


def _write_per_row(http: httpx.Client, rows: int, currency: str) -> dict[str, Any]:
    bodies = [_account(1_000_000 + n, currency) for n in range(rows)]
    started = time.perf_counter()
    for body in bodies:
        r = http.post(API_ROOT + "/accounts", json=body)
        if r.status_code != 204:
            raise SystemExit(f"POST accounts answered {r.status_code}: {r.text}")
    return figures(rows, time.perf_counter() - started, requests=rows)


if __name__ == "__main__":
    main()
