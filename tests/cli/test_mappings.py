"""`couplet mappings` and `setup --enable`: the default catalogue, export/import, reset."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from couplet.cli.main import app
from couplet.engine import catalogue
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


def test_import_names_the_file_and_where_a_bad_key_is(engine_db: str, tmp_path: Path) -> None:
    _run("setup", *ARGS, "--enable", "--database-url", engine_db)
    exported = tmp_path / "mappings.json"
    _run("mappings", "export", str(exported), "--database-url", engine_db)
    data = json.loads(exported.read_text())
    at = next(i for i, m in enumerate(data["mapping"]) if m["name"] == "CUSTOMER")
    data["mapping"][at]["synch_only_coupled"] = True  # a typo of a real key
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps(data))
    bad = runner.invoke(app, ["mappings", "import", str(typo), "--database-url", engine_db])
    flat = "".join(bad.output.split())  # rich wraps long paths anywhere
    assert bad.exit_code == 2 and "typo.json" in flat and f"mapping[{at}]" in flat, flat
    assert "synch_only_coupled" in flat
    # TOML: a quoted boolean is refused with its line.
    defaults = Path(catalogue.__file__).parent.parent / "defaults" / "10_master_data.toml"
    lines = defaults.read_text().splitlines()
    first = next(n for n, text in enumerate(lines) if text.startswith("name = "))
    lines.insert(first + 1, 'synch_only_coupled_records = "false"')
    quoted = tmp_path / "quoted.toml"
    quoted.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(app, ["mappings", "import", str(quoted), "--database-url", engine_db])
    flat = "".join(bad.output.split())  # rich wraps long paths anywhere
    assert bad.exit_code == 2 and "quoted.toml" in flat and f"line{first + 2}" in flat, flat
    # An empty list would delete every mapping: refused.
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"mapping": []}))
    refused = runner.invoke(app, ["mappings", "import", str(empty), "--database-url", engine_db])
    assert refused.exit_code == 2 and "empty.json" in "".join(refused.output.split())
    listed = json.loads(_run("mappings", "list", "--json", "--database-url", engine_db))
    assert any(m["name"] == "CUSTOMER" for m in listed)
