"""The Dataverse connector writes through CreateMultiple/UpdateMultiple where the table has
them, and row by row through `$batch` where it does not or when a chunk is refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from couplet.connectors.dataverse.connector import DataverseConnector
from couplet.engine.model import Ref
from tests.connectors.test_dataverse import connect
from tests.helpers import CrmClient


@pytest.fixture
def sent(crm: CrmClient) -> Iterator[list[str]]:
    """The method and path of every request the connector sends (metadata reads included)."""
    log: list[str] = []

    def record(request: httpx.Request) -> None:
        log.append(f"{request.method} {request.url.path}")

    crm.http.event_hooks["request"].append(record)
    yield log
    crm.http.event_hooks["request"].remove(record)


def _writes(log: list[str]) -> list[str]:
    return [line.split("/api/data/v9.2/")[1] for line in log if line.startswith("POST /api/")]


def test_inserts_and_updates_go_through_the_bulk_messages(crm: CrmClient, sent: list[str]) -> None:
    dv = connect(crm, batch_size=50)
    results = dv.insert_many(
        "accounts", [{"name": f"Bulk {i}", "customertypecode": 3} for i in range(120)]
    )
    assert all(r.ok for r in results)
    rows = [r.row for r in results]
    assert [row.values["name"] for row in rows if row] == [f"Bulk {i}" for i in range(120)]
    assert _writes(sent) == ["accounts/Microsoft.Dynamics.CRM.CreateMultiple"] * 3
    stored = crm.get("accounts", params={"$filter": "startswith(name,'Bulk')", "$count": "true"})
    assert stored.json()["@odata.count"] == 120

    sent.clear()
    changed = dv.update_many("accounts", [(row.id, {"telephone1": "555"}) for row in rows if row])
    assert all(r.ok and r.row and r.row.values["telephone1"] == "555" for r in changed)
    assert _writes(sent) == ["accounts/Microsoft.Dynamics.CRM.UpdateMultiple"] * 3
    assert not any("$batch" in line for line in sent)

    # Two changes of one row in a chunk are both applied, in order (row by row).
    first = rows[0]
    assert first is not None
    sent.clear()
    twice = dv.update_many("accounts", [(first.id, {"fax": "1"}), (first.id, {"telephone1": "2"})])
    assert all(r.ok for r in twice)
    assert _writes(sent) == ["$batch"]
    stored_row = crm.row("accounts", first.id)
    assert stored_row["fax"] == "1" and stored_row["telephone1"] == "2"


def test_a_refused_chunk_is_written_row_by_row(crm: CrmClient, sent: list[str]) -> None:
    dv = connect(crm)
    results = dv.insert_many(
        "accounts", [{"name": "Good 1"}, {"name": "x" * 500}, {"name": "Good 2"}]
    )
    assert [r.ok for r in results] == [True, False, True]
    assert "name" in (results[1].error or "")
    assert _writes(sent) == ["accounts/Microsoft.Dynamics.CRM.CreateMultiple", "$batch"]
    names = {r["name"] for r in crm.get("accounts").json()["value"]}
    assert {"Good 1", "Good 2"} <= names
    # A bad row does not make the table lose its bulk path.
    sent.clear()
    assert dv.insert_many("accounts", [{"name": "Good 3"}])[0].ok
    assert _writes(sent) == ["accounts/Microsoft.Dynamics.CRM.CreateMultiple"]

    # An update of a row deleted meanwhile fails alone; the others are written.
    good = results[0].row
    assert good is not None
    gone = crm.create("accounts", {"name": "Gone"})["accountid"]
    crm.delete(f"accounts({gone})")
    sent.clear()
    updated = dv.update_many(
        "accounts", [(good.id, {"telephone1": "1"}), (gone, {"telephone1": "2"})]
    )
    assert [u.ok for u in updated] == [True, False]
    assert _writes(sent) == ["accounts/Microsoft.Dynamics.CRM.UpdateMultiple", "$batch"]
    assert crm.row("accounts", good.id)["telephone1"] == "1"


def test_a_table_without_the_messages_is_written_by_batch(crm: CrmClient, sent: list[str]) -> None:
    dv: DataverseConnector = connect(crm)
    order = crm.create("accounts", {"name": "Poster"})["accountid"]
    sent.clear()
    first = dv.insert_many("posts", [{"text": "one", "regardingobjectid": Ref("accounts", order)}])
    assert first[0].ok, first[0].error
    assert _writes(sent) == ["posts/Microsoft.Dynamics.CRM.CreateMultiple", "$batch"]
    # Remembered: the next writes to that table go straight to $batch.
    sent.clear()
    again = dv.insert_many("posts", [{"text": "two", "regardingobjectid": Ref("accounts", order)}])
    assert again[0].ok
    assert _writes(sent) == ["$batch"]
