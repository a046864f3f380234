"""One whole lead-to-cash cycle over HTTP, the way the README walks a person through it:
account -> quote -> won -> order submitted -> ERP order -> released, shipped, invoiced ->
CRM invoice -> payment -> Paid and updated account statistics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.conftest import DatabaseFactory
from tests.helpers import CrmClient, ErpClient
from tests.integration.conftest import ERP_ROOTS, Systems
from tests.integration.engine_cli import cli, cli_json
from tests.integration.test_invoices_e2e import named, pay
from tests.servers import ENGINE, person_tokens, serve, trust


# On-premises roots here; Business Central online's root is the TLS run's below.
@pytest.mark.parametrize(("backend", "erp_root"), ERP_ROOTS[:2])
def test_one_lead_to_cash_cycle(systems: Systems) -> None:
    cycle(systems)


@pytest.fixture
def systems_over_tls(
    databases: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Systems]:
    """As against the real services: both reference services as `couplet serve … --tls`
    processes, the engine set up with authorities (MSAL sign-in at their identity
    endpoints), Business Central online's root, the generated CA trusted."""
    crm_db, erp_db, engine_url = databases(["crm", "erp", "engine"])
    crm_token, erp_token = person_tokens(crm_db, erp_db)
    ca = tmp_path / ".couplet" / "tls" / "ca.pem"
    with ExitStack() as stack:
        # One after the other: the ERP finds the CA the CRM's start made and uses it too.
        crm = stack.enter_context(serve("crm", crm_db, tmp_path, ca))
        erp = stack.enter_context(serve("erp", erp_db, tmp_path, ca))
        monkeypatch.setenv("COUPLET_ENGINE_CA_BUNDLE", str(ca))
        crm_http = stack.enter_context(httpx.Client(base_url=crm, verify=trust(ca)))
        erp_http = stack.enter_context(httpx.Client(base_url=erp, verify=trust(ca)))
        setup = ["--crm-url", crm, "--crm-authority", f"{crm}/contoso"]
        setup += [
            "--erp-url",
            f"{erp}/v2.0/contoso/Production",
            "--erp-authority",
            f"{erp}/contoso",
        ]
        for side in ("crm", "erp"):
            setup += [f"--{side}-client-id", ENGINE[0], f"--{side}-client-secret", ENGINE[1]]
        yield Systems(
            CrmClient(crm_http, crm_token), ErpClient(erp_http, erp_token), engine_url, setup
        )


# The database does not change what TLS and sign-in do; the server processes cost seconds.
@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["sqlite"])
def test_one_lead_to_cash_cycle_over_tls_with_msal_sign_in(systems_over_tls: Systems) -> None:
    cycle(systems_over_tls)
    # The engine signed in through MSAL (an authority is set) with BC's own scope.
    shown = cli_json(systems_over_tls, "setup", "--show")
    assert shown["erp_scope"] == "https://api.businesscentral.dynamics.com/.default"
    assert shown["crm_authority"].endswith("/contoso")
    assert shown["erp_authority"].endswith("/contoso")


def cycle(systems: Systems) -> None:
    crm, erp = systems.crm, systems.erp
    # Master data lives in the ERP; the full synchronization brings it to the CRM.
    customer = erp.create("customers", {"displayName": "Adatum Corporation", "city": "Atlanta"})
    pcs = next(u for u in erp.rows("unitsOfMeasure") if u["code"] == "PCS")
    item = erp.create(
        "items",
        {"displayName": "Touring Bike", "unitPrice": 1200, "baseUnitOfMeasureId": pcs["id"]},
    )
    erp.create("itemAdjustments", {"itemId": item["id"], "quantity": 10}, custom=True)
    cli(systems, "setup", *systems.setup, "--sales-order-integration", "--enable")
    cli(systems, "full-sync", "--start")
    account, product = (
        named(systems, "accounts", "Adatum Corporation"),
        named(systems, "products", "Touring Bike"),
    )
    assert product["_defaultuomid_value"]

    # Sales: a quote with two bikes, activated, then processed into an ERP quote.
    quote = crm.create(
        "quotes",
        {
            "name": "Bikes for the spring",
            "customerid_account@odata.bind": f"/accounts({account['accountid']})",
        },
    )
    qid = quote["quoteid"]
    crm.create(
        "quotedetails",
        {
            "quoteid@odata.bind": f"/quotes({qid})",
            "productid@odata.bind": f"/products({product['productid']})",
            "uomid@odata.bind": f"/uoms({product['_defaultuomid_value']})",
            "quantity": 2,
        },
    )
    assert crm.patch(f"quotes({qid})", {"statecode": 1}).status_code == 204
    [processed] = cli_json(systems, "quotes", "process", qid)
    erp_quote = erp.row(f"salesQuotes({processed['erp_id']})")
    assert erp_quote["externalDocumentNumber"] == "Bikes for the spring"

    # Won, converted to an order, submitted: the ERP order carries the quote's number and
    # the ERP quote is archived.
    close = {"QuoteClose": {"subject": "Won", "quoteid@odata.bind": f"/quotes({qid})"}, "Status": 4}
    assert crm.post("WinQuote", close).status_code == 204
    order = crm.post(
        "ConvertQuoteToSalesOrder", {"QuoteId": qid, "ColumnSet": {"AllColumns": True}}
    ).json()
    oid = order["salesorderid"]
    assert crm.patch(f"salesorders({oid})", {"statecode": 1}).status_code == 204
    [created] = cli_json(systems, "orders", "auto")
    erp_order = erp.row(f"salesOrders({created['erp_id']})?$expand=salesOrderLines")
    assert erp_order["quoteNumber"] == erp_quote["number"]
    assert erp_order["yourReference"] == order["ordernumber"]
    assert [(x["lineType"], x["quantity"]) for x in erp_order["salesOrderLines"]] == [("Item", 2)]
    archived = erp.rows("salesQuoteArchives", custom=True)
    assert [a["quoteNumber"] for a in archived][-1:] == [erp_quote["number"]]

    # The back office releases it: the CRM order hears of it (and stays submitted).
    path = f"salesOrders({erp_order['id']})/Microsoft.NAV."
    assert erp.action(path + "release", custom=True).status_code == 204
    erp.patch(f"salesOrders({erp_order['id']})", {"requestedDeliveryDate": "2026-12-20"})
    cli(systems, "sync", "SALESORDER-ORDER")
    cli(systems, "orders", "status")
    crm_order = crm.row("salesorders", oid)
    assert crm_order["requestdeliveryby"].startswith("2026-12-20")
    assert (crm_order["statecode"], crm_order["statuscode"]) == (1, 3)

    # Shipped and invoiced: the CRM order is Invoiced, with posts on its timeline.
    shipped = erp.action(path + "shipAndInvoice")
    assert shipped.status_code == 204, shipped.text
    cli(systems, "orders", "status")
    crm_order = crm.row("salesorders", oid)
    assert (crm_order["statecode"], crm_order["statuscode"]) == (4, 100003)
    posts = crm.get("posts", params={"$filter": f"_regardingobjectid_value eq {oid}"}).json()
    assert len(posts["value"]) >= 2  # released, shipped, invoiced

    # The posted invoice goes to the CRM, linked to the order, Active / Billed.
    [invoice] = erp.rows("salesInvoices")
    [made] = cli_json(systems, "invoices", "create-in-crm", invoice["number"])
    crm_invoice = crm.row("invoices", made["crm_id"])
    assert crm_invoice["_salesorderid_value"] == oid
    assert (crm_invoice["statecode"], crm_invoice["statuscode"]) == (0, 4)
    assert Decimal(str(crm_invoice["totalamount"])) == Decimal(
        str(invoice["totalAmountIncludingTax"])
    )

    # The customer pays in full: the invoice is Paid / Complete and the account statistics
    # show a zero balance and the sale.
    pay(systems, invoice, float(invoice["totalAmountIncludingTax"]))
    cli(systems, "statistics", "update", customer["number"])
    crm_invoice = crm.row("invoices", made["crm_id"])
    assert (crm_invoice["statecode"], crm_invoice["statuscode"]) == (2, 100001)
    flt = f"_nav_accountid_value eq {account['accountid']}"
    [stats] = crm.get("nav_accountstatisticses", params={"$filter": flt}).json()["value"]
    assert Decimal(str(stats["nav_balancelcy"])) == 0
    assert Decimal(str(stats["nav_totalsaleslcy"])) == Decimal(
        str(invoice["totalAmountExcludingTax"])
    )

    # A run naming no mapping runs what the scheduler runs - not the invoice lines, which
    # go only with their invoice - and succeeds (docs/behaviour.md §2.9).
    jobs = cli_json(systems, "sync")
    assert jobs and "POSTEDSALESLINE-INV" not in {j["mapping"] for j in jobs}
    assert not [j for j in jobs if j["failed"]], jobs
