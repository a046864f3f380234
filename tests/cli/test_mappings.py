"""`couplet mappings` and `setup --enable`: the default catalogue, export/import, reset."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from couplet.cli.main import app
from tests.cli.conftest import ARGS

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_enable_creates_default_mappings_and_jobs(engine_db: str) -> None:
    none = runner.invoke(app, ["mappings", "list", "--database-url", engine_db])
    assert none.exit_code == 2 and "couplet setup --enable" in none.output
    out = _run("setup", *ARGS, "--enable", "--database-url", engine_db)
    assert "Default mappings created" in out and "Synchronization enabled" in out
    rows = json.loads(_run("mappings", "list", "--json", "--database-url", engine_db))
    by_name = {r["name"]: r for r in rows}
    assert by_name["CUSTOMER"]["direction"] == "bidirectional"
    assert by_name["CUSTOMER"]["erp_entity"] == "customers"
    assert by_name["CUSTOMER"]["crm_entity"] == "accounts"
    assert by_name["CURRENCY"]["direction"] == "erp-to-crm"
    assert by_name["SALESPEOPLE"]["direction"] == "crm-to-erp"
    assert by_name["PAYMENT TERMS"]["option_mapping"] is True
    shown = json.loads(_run("mappings", "show", "CUSTOMER", "--json", "--database-url", engine_db))
    lookups = {f["crm"]: f.get("lookup") for f in shown["fields"]}
    assert lookups["transactioncurrencyid"] == "CURRENCY"
    table = _run("mappings", "list", "--database-url", engine_db)
    assert "CUSTOMER" in table and "accounts" in table


def test_export_edit_import_and_reset(engine_db: str, tmp_path: Path) -> None:
    _run("setup", *ARGS, "--enable", "--database-url", engine_db)
    file = tmp_path / "mappings.json"
    _run("mappings", "export", str(file), "--database-url", engine_db)
    data = json.loads(file.read_text())
    customer = next(m for m in data["mapping"] if m["name"] == "CUSTOMER")
    customer["update_conflict"] = "get-update-from-crm"
    file.write_text(json.dumps(data))
    _run("mappings", "import", str(file), "--database-url", engine_db)
    shown = json.loads(_run("mappings", "show", "CUSTOMER", "--json", "--database-url", engine_db))
    assert shown["update_conflict"] == "get-update-from-crm"
    # An edit that breaks a rule is refused and changes nothing.
    currency = next(m for m in data["mapping"] if m["name"] == "CURRENCY")
    currency["direction"] = "crm-to-erp"
    file.write_text(json.dumps(data))
    bad = runner.invoke(app, ["mappings", "import", str(file), "--database-url", engine_db])
    assert bad.exit_code == 2 and "CURRENCY" in bad.output
    shown = json.loads(_run("mappings", "show", "CURRENCY", "--json", "--database-url", engine_db))
    assert shown["direction"] == "erp-to-crm"
    _run("mappings", "reset", "CUSTOMER", "--database-url", engine_db)
    shown = json.loads(_run("mappings", "show", "CUSTOMER", "--json", "--database-url", engine_db))
    assert shown["update_conflict"] == "none"
    unknown = runner.invoke(app, ["mappings", "reset", "NOPE", "--database-url", engine_db])
    assert unknown.exit_code == 2 and "No default mapping named NOPE" in unknown.output
