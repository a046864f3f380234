"""End to end with sign-in through MSAL at the reference services' identity endpoints (the
services in-process): the connection check, a sync, and `availability publish` storing the
ERP's real token endpoint, which the CRM then signs in at to answer availability."""

from __future__ import annotations

from couplet.apps.crm.app import ensure_application_user
from couplet.apps.erp.security import READ, ensure_api_user
from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli, cli_json
from tests.integration.test_availability_e2e import _item, _service_tx, _stock

AUTHORITIES = [
    "--crm-authority",
    "https://crm.test/contoso",
    # The CRM's resource is its https URL, where its identity endpoint is reached.
    "--crm-scope",
    "https://crm.test/.default",
    "--erp-authority",
    "https://erp.test/contoso",
]


def test_publish_stores_the_authority_token_endpoint_the_crm_signs_in_at(
    systems: Systems,
) -> None:
    erp, crm = systems.erp, systems.crm
    _stock(systems, _item(systems, "1000"), 12)
    service, tx = _service_tx(erp)
    with service.transactions.begin() as conn:
        ensure_api_user(tx(conn), "crm-reader", "reader-pw", READ)
    service, tx = _service_tx(crm)
    with service.transactions.begin() as conn:
        ensure_application_user(
            tx(conn), "checker", "pw", "checker", ["Salesperson", "Product Availability User"]
        )
    checks = cli_json(systems, "setup", *SETUP, *AUTHORITIES, "--enable", "--test")
    assert all(c["ok"] for c in checks), checks
    shown = cli_json(systems, "setup", "--show")
    assert shown["erp_authority"] == "https://erp.test/contoso"
    assert shown["erp_scope"] == "https://api.businesscentral.dynamics.com/.default"
    cli(systems, "full-sync", "--start")
    cli(systems, "setup", "--item-availability")
    cli(
        systems,
        "availability",
        "publish",
        "--client-id",
        "crm-reader",
        "--client-secret",
        "reader-pw",
    )
    [connection] = crm.get("nav_connections").json()["value"]
    assert connection["nav_tokenurl"] == "https://erp.test/contoso/oauth2/v2.0/token"
    answer = crm.as_client("checker", "pw").get("nav_GetItemAvailability(ProductNumber='1000')")
    assert answer.status_code == 200, answer.text
    assert answer.json()["Inventory"] == 12
