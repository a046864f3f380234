"""`couplet setup`: storing, showing and testing the connection."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from couplet.cli.main import app
from tests.cli.conftest import ARGS, CRM
from tests.connectors.test_identity import certificate_pem

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


def test_setup_takes_authorities_scopes_and_a_certificate_file(
    engine_db: str, tmp_path: Path
) -> None:
    pem = certificate_pem("couplet engine")
    (tmp_path / "engine.pem").write_text(pem)
    args = [a for a in ARGS if a not in ("--crm-client-secret", "crm-pw")]
    result = runner.invoke(
        app,
        [
            "setup",
            *args,
            "--crm-authority",
            "https://login.microsoftonline.com/contoso.onmicrosoft.com",
            "--crm-certificate",
            str(tmp_path / "engine.pem"),
            "--erp-authority",
            "https://login.microsoftonline.com/contoso.onmicrosoft.com",
            "--show",
            "--json",
            "--database-url",
            engine_db,
        ],
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["crm_certificate"] == "********" and shown["crm_client_secret"] is None
    assert shown["crm_scope"] == f"{CRM}/.default"
    assert shown["erp_scope"] == "https://api.businesscentral.dynamics.com/.default"
    assert "PRIVATE KEY" not in result.output
    scoped = runner.invoke(
        app,
        [
            "setup",
            "--crm-scope",
            "https://org.crm.dynamics.com//.default",
            "--show",
            "--json",
            "--database-url",
            engine_db,
        ],
    )
    assert json.loads(scoped.output)["crm_scope"] == "https://org.crm.dynamics.com//.default"


def test_a_certificate_needs_an_authority_and_a_readable_file(
    engine_db: str, tmp_path: Path
) -> None:
    (tmp_path / "engine.pem").write_text(certificate_pem("couplet engine"))
    alone = ["--crm-certificate", str(tmp_path / "engine.pem")]
    result = runner.invoke(app, ["setup", *ARGS, *alone, "--database-url", engine_db])
    assert result.exit_code == 2 and "needs --crm-authority" in result.output
    missing = ["--erp-certificate", str(tmp_path / "nope.pem")]
    result = runner.invoke(app, ["setup", *ARGS, *missing, "--database-url", engine_db])
    assert result.exit_code == 2 and "Cannot read the certificate file" in result.output


def test_serve_refuses_missing_tls_files(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    result = runner.invoke(app, ["serve", "crm", "--tls-cert", missing, "--tls-key", missing])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.invoke(app, ["serve", "erp", "--tls-cert", missing])
    assert result.exit_code == 2 and "needs both --tls-cert and --tls-key" in result.output
