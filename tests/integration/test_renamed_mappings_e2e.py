"""Mappings are found by role, not by name: a catalogue whose customer, currency and posted
invoice mappings are renamed on import (CUSTOMER -> KUNDEN ...) still runs the whole
lead-to-cash cycle - full synchronization, order creation, posted invoices, statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli
from tests.integration.test_lead_to_cash_e2e import test_one_lead_to_cash_cycle as lead_to_cash

RENAMED = {"CUSTOMER": "KUNDEN", "CURRENCY": "WAEHRUNG", "POSTEDSALESINV-INV": "RECHNUNG"}


def _renamed(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every mention of a renamed mapping renamed too (its own name,
    dependencies, lookups), as a person editing the export would."""

    def new(name: str) -> str:
        return RENAMED.get(name, name)

    doc = {**document, "name": new(document["name"])}
    doc["dependencies"] = [new(d) for d in document.get("dependencies", [])]
    fields = []
    for field in document.get("fields", []):
        field = dict(field)
        if field.get("lookup"):
            field["lookup"] = "|".join(new(n) for n in field["lookup"].split("|"))
        fields.append(field)
    doc["fields"] = fields
    return doc


def _rename_by_export_and_import(systems: Systems, tmp_path: Path) -> None:
    file = tmp_path / "mappings.json"
    cli(systems, "mappings", "export", str(file))
    data = json.loads(file.read_text("utf-8"))
    data["mapping"] = [_renamed(d) for d in data["mapping"]]
    file.write_text(json.dumps(data), "utf-8")
    cli(systems, "mappings", "import", str(file))


def test_lead_to_cash_with_renamed_mappings(systems: Systems, tmp_path: Path) -> None:
    cli(systems, "setup", *SETUP, "--sales-order-integration", "--enable")
    _rename_by_export_and_import(systems, tmp_path)
    listed = cli(systems, "mappings", "list", "--json")
    names = {m["name"] for m in json.loads(listed)}
    assert set(RENAMED.values()) <= names and not set(RENAMED) & names

    # The same setup again keeps the stored (renamed) catalogue; the cycle runs on it.
    lead_to_cash(systems)

    engine = systems.engine()
    try:
        # Couplings are kept under the names the person chose.
        for name in ("KUNDEN", "RECHNUNG"):
            assert [c for page in engine.state.all_couplings(name) for c in page], name
        assert not [c for page in engine.state.all_couplings("CUSTOMER") for c in page]
        lines = {line.name: line for line in engine.state.full_sync_lines()}
        assert lines["KUNDEN"].status.value == "finished"
    finally:
        engine.close()


def test_a_rename_keeps_what_the_mapping_coupled(systems: Systems, tmp_path: Path) -> None:
    """Renamed after records were coupled: the couplings, watermarks and job queue entry
    follow the new name, so the next full synchronization finds every record coupled and
    creates nothing again."""
    systems.erp.create("customers", {"displayName": "Trey Research"})
    systems.crm.create("accounts", {"name": "Fourth Coffee", "customertypecode": 3})
    cli(systems, "setup", *SETUP, "--enable")
    cli(systems, "full-sync", "--start", "--json")
    accounts, customers = _accounts(systems), len(systems.erp.rows("customers"))

    _rename_by_export_and_import(systems, tmp_path)
    engine = systems.engine()
    try:
        kept = [c for page in engine.state.all_couplings("KUNDEN") for c in page]
        assert len(kept) == 2
        assert not [c for page in engine.state.all_couplings("CUSTOMER") for c in page]
        queued = {e.name for e in engine.queue.entries()}
        assert "KUNDEN" in queued and "CUSTOMER" not in queued
    finally:
        engine.close()

    # A second full synchronization, now under the new name, matches nothing anew.
    cli(systems, "full-sync", "--start", "--json")
    assert _accounts(systems) == accounts == 2
    assert len(systems.erp.rows("customers")) == customers


def _accounts(systems: Systems) -> int:
    return len(systems.crm.get("accounts?$select=name").json()["value"])
