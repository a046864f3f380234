"""`couplet setup`: storing, showing and testing the connection."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from couplet.cli.main import app
from tests.cli.conftest import ARGS, CRM

runner = CliRunner()


def test_setup_stores_and_shows_without_secrets(engine_db: str) -> None:
    result = runner.invoke(app, ["setup", *ARGS, "--database-url", engine_db])
    assert result.exit_code == 0, result.output
    assert "Connection saved" in result.output
    shown = runner.invoke(app, ["setup", "--show", "--json", "--database-url", engine_db])
    assert shown.exit_code == 0
    data = json.loads(shown.output)
    assert data["crm_url"] == CRM and data["erp_company"] == "CRONUS"
    assert "crm-pw" not in shown.output and data["crm_client_secret"] == "********"
    # Changing one value keeps the others.
    changed = runner.invoke(
        app,
        [
            "setup",
            "--erp-company",
            "Other",
            "--sales-order-integration",
            "--show",
            "--json",
            "--database-url",
            engine_db,
        ],
    )
    data = json.loads(changed.output)
    assert data["erp_company"] == "Other" and data["crm_client_id"] == "crm-app"
    assert data["features"]["sales_order_integration"] is True


def test_setup_needs_every_value_the_first_time(engine_db: str) -> None:
    result = runner.invoke(app, ["setup", "--crm-url", CRM, "--database-url", engine_db])
    assert result.exit_code == 2
    assert "--crm-client-id" in result.output


def test_bad_values_are_refused_with_a_reason(engine_db: str) -> None:
    args = [a if a != CRM else "crm.test" for a in ARGS]
    result = runner.invoke(app, ["setup", *args, "--database-url", engine_db])
    assert result.exit_code == 2 and "not an http(s) URL" in result.output


def test_test_names_what_is_wrong(engine_db: str) -> None:
    result = runner.invoke(app, ["setup", *ARGS, "--test", "--json", "--database-url", engine_db])
    assert result.exit_code == 2
    checks = json.loads(result.output)
    by_name = {c["name"]: c for c in checks}
    assert by_name["CRM sign-in"]["ok"] is True
    assert by_name["ERP sign-in"]["ok"] is False
    bad = runner.invoke(
        app,
        ["setup", "--crm-client-secret", "wrong", "--test", "--json", "--database-url", engine_db],
    )
    checks = json.loads(bad.output)
    crm = next(c for c in checks if c["name"] == "CRM sign-in")
    assert crm["ok"] is False and "crm-app" in crm["detail"]
