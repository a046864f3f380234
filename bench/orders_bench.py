"""Benchmark: converting submitted CRM sales orders into ERP sales orders (§5.2).

Starts `couplet serve crm` and `couplet serve erp` as their own processes on 127.0.0.1
over fresh databases, seeds the ERP with customers and items (`couplet seed erp`), runs
the engine's full synchronization so that accounts, products and units are coupled, then
writes `--orders` CRM orders with `--lines` product lines each and submits them (through the
engine's Dataverse connector, `$batch`). Measured:

- `create_crm_orders`: writing and submitting the CRM orders (set-up, for scale);
- `convert_orders`: what "automatically create sales orders" does with all of them — each
  order read with its lines, checked, and created in the ERP with its lines.

Results go to `bench/results/orders-<date>.json` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness import (
    PROBE,
    Server,
    couplet,
    databases,
    engine_for,
    report,
    save_results,
)
from harness import figures as measured

from couplet.engine.context import Context
from couplet.engine.model import Condition, Op, Ref
from couplet.flows.builders.lines import sales_setup
from couplet.flows.orders.creation import create_orders, submitted_orders


def main() -> None:
    args = _arguments()
    started = time.perf_counter()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        crm_db, erp_db, engine_db = stack.enter_context(databases(args.postgres, work, 3))
        couplet(
            "seed", "erp", "--customers", str(args.customers), "--items", str(args.items),
            "--contacts-per-customer", "0", "--salespeople", "0", "--resources", "0",
            "--quotes", "0", "--orders", "0", "--invoices", "0", "--database-url", erp_db,
        )  # fmt: skip
        crm = stack.enter_context(Server("crm", crm_db, work, PROBE))
        erp = stack.enter_context(Server("erp", erp_db, work, PROBE))
        engine = engine_for(engine_db, crm, erp, "--sales-order-integration")
        couplet("full-sync", "--start", "--database-url", engine_db)
        ctx = engine.context()

        t = time.perf_counter()
        ids = _crm_orders(ctx, args.orders, args.lines)
        figures["create_crm_orders"] = measured(len(ids), time.perf_counter() - t)
        report("create_crm_orders", figures["create_crm_orders"])
        assert len(submitted_orders(ctx)) == len(ids)

        t = time.perf_counter()
        job, results = create_orders(ctx, ids, sales_setup(ctx))
        seconds = time.perf_counter() - t
        figures["convert_orders"] = measured(
            job.inserted,
            seconds,
            lines_per_order=args.lines,
            failed=job.failed,
            first_errors=sorted({r.message for r in results if not r.created})[:3],
        )
        report("convert_orders", figures["convert_orders"])
        engine.close()

    save_results("orders", vars(args), figures, started, args.postgres)


def _arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=1000, help="submitted CRM orders")
    p.add_argument("--lines", type=int, default=5, help="product lines per order")
    p.add_argument("--customers", type=int, default=50, help="ERP customers (order accounts)")
    p.add_argument("--items", type=int, default=20, help="ERP items (order products)")
    p.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="run on PostgreSQL: a server URL allowed to create and drop databases",
    )
    return p.parse_args()


def _crm_orders(ctx: Context, orders: int, lines: int) -> list[str]:
    """Writes the CRM orders and their lines in `$batch`es, then submits them."""
    accounts = [
        r.id
        for page in ctx.crm.query("accounts", filters=(Condition("customertypecode", Op.EQ, 3),))
        for r in page
    ]
    products = [
        r
        for page in ctx.crm.query("products", filters=(Condition("statecode", Op.EQ, 0),))
        for r in page
    ]
    assert accounts and products, "the full synchronization coupled no accounts or products"
    account_cycle, product_cycle = itertools.cycle(accounts), itertools.cycle(products)
    headers = [
        {"name": f"Bench order {n:05d}", "customerid": Ref("accounts", next(account_cycle))}
        for n in range(orders)
    ]
    ids = [_written(r) for r in ctx.crm.insert_many("salesorders", headers)]
    details = []
    for order_id in ids:
        for _ in range(lines):
            product = next(product_cycle)
            line: dict[str, object] = {
                "salesorderid": Ref("salesorders", order_id),
                "productid": Ref("products", product.id),
                "quantity": Decimal(2),
                "priceperunit": Decimal(str(product.values.get("price") or 10)),
            }
            unit = product.values.get("defaultuomid")
            if isinstance(unit, Ref):
                line["uomid"] = unit
            details.append(line)
    for result in ctx.crm.insert_many("salesorderdetails", details):
        _written(result)
    for result in ctx.crm.update_many("salesorders", [(i, {"statecode": 1}) for i in ids]):
        _written(result)
    return ids


def _written(result: Any) -> str:
    if not result.ok:
        raise SystemExit(f"The CRM refused a bench write: {result.error}")
    return str(result.row.id) if result.row is not None else ""


if __name__ == "__main__":
    main()
