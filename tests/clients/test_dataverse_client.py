"""Microsoft's `PowerPlatform-Dataverse-Client`, unmodified, against the reference CRM over
TLS, signed in by azure-identity at the CRM's identity endpoint: what a program written for
Dataverse does first (create, read, query, update, delete, page, batch, picklist labels)
works against the stand-in as it does against an organization."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from PowerPlatform.Dataverse.client import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from tests.clients.conftest import Services

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

FORMATTED = "OData.Community.Display.V1.FormattedValue"


@pytest.fixture
def client(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataverseClient]:
    # The client sends its own requests with `requests`, which trusts the bundle this
    # variable names (set for this test only): the CA that signed the CRM's certificate.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(services.ca))
    with (
        services.credential("crm") as credential,
        DataverseClient(services.crm, credential) as dataverse,
    ):
        yield dataverse


def test_create_read_update_delete(client: DataverseClient) -> None:
    account = client.records.create("account", {"name": "Northwind Traders", "telephone1": "1"})
    row = client.records.retrieve("account", account, select=["name", "telephone1"])
    assert row is not None
    assert (row["name"], row["telephone1"], row.id) == ("Northwind Traders", "1", account)
    client.records.update("account", account, {"telephone1": "555-0100"})
    row = client.records.retrieve("account", account, select=["telephone1"])
    assert row is not None and row["telephone1"] == "555-0100"
    client.records.delete("account", account)
    assert client.records.retrieve("account", account) is None
    with pytest.raises(HttpError) as refused:
        client.records.update("account", account, {"telephone1": "2"})
    assert refused.value.status_code == 404


def test_query_with_filter_select_top_and_order(client: DataverseClient) -> None:
    for name in ("Query Alpha", "Query Beta", "Query Gamma"):
        client.records.create("account", {"name": name, "address1_city": "Query Town"})
    rows = client.records.list(
        "account",
        filter="address1_city eq 'query town' and startswith(name, 'Query')",
        select=["name"],
        orderby=["name desc"],
        top=2,
    )
    # String comparison is case-insensitive, as in Dataverse; only the selected column
    # (and the key) comes back.
    assert [r["name"] for r in rows] == ["Query Gamma", "Query Beta"]
    assert all(set(r.data) <= {"name", "accountid"} for r in rows)


def test_pages_through_more_than_5000_rows(client: DataverseClient, services: Services) -> None:
    pages = list(client.records.list_pages("account", select=["accountnumber"]))
    # Dataverse's largest page is 5,000 rows; the client follows @odata.nextLink for the rest.
    assert len(pages[0]) == 5000 and len(pages) >= 2
    # (Rows of a list carry their key as a column; the client sets `Record.id` on single reads.)
    ids = [r["accountid"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) >= services.accounts
    smaller = list(client.records.list_pages("account", select=["name"], page_size=2000))
    assert [len(p) for p in smaller[:2]] == [2000, 2000]
    assert sum(len(p) for p in smaller) == len(ids)


def test_create_update_and_delete_many_go_through_the_bulk_messages(
    client: DataverseClient,
) -> None:
    # A list creates through CreateMultiple and updates through UpdateMultiple.
    ids = client.records.create("account", [{"name": f"Bulk {i}"} for i in range(3)])
    assert len(set(ids)) == 3
    client.records.update("account", ids, {"address1_city": "Bulkton"})
    rows = client.records.list("account", filter="address1_city eq 'Bulkton'", select=["name"])
    assert sorted(r["name"] for r in rows) == ["Bulk 0", "Bulk 1", "Bulk 2"]
    # A list deletes through BulkDelete, which answers the job's id.
    job = client.records.delete("account", ids)
    assert job is not None and uuid.UUID(job)
    assert not client.records.list("account", filter="address1_city eq 'Bulkton'")


def test_batch_with_a_change_set(client: DataverseClient) -> None:
    kept = client.records.create("account", {"name": "Batch Kept"})
    doomed = client.records.create("account", {"name": "Batch Doomed"})
    batch = client.batch.new()
    batch.records.create("account", {"name": "Batch Loose"})
    with batch.changeset() as change_set:
        change_set.records.create("account", {"name": "Batch Atomic"})
        change_set.records.update("account", kept, {"telephone1": "42"})
    batch.records.delete("account", doomed)
    result = batch.execute()
    assert [r.status_code for r in result.responses] == [204, 204, 204, 204]
    made = {r.entity_id for r in result.responses[:2]}
    names = {
        client.records.retrieve("account", m, select=["name"])["name"]  # type: ignore[index]
        for m in made
    }
    assert names == {"Batch Loose", "Batch Atomic"}
    kept_row = client.records.retrieve("account", kept, select=["telephone1"])
    assert kept_row is not None and kept_row["telephone1"] == "42"
    assert client.records.retrieve("account", doomed) is None


def test_picklist_labels_convert_both_ways(client: DataverseClient) -> None:
    # Labels written for choice columns become their values (the client reads the options
    # from the PicklistAttributeMetadata cast) ...
    account = client.records.create(
        "account",
        {"name": "Label Co", "customertypecode": "Customer", "paymenttermscode": "Net 30"},
    )
    row = client.records.retrieve(
        "account",
        account,
        select=["customertypecode", "paymenttermscode"],
        include_annotations=FORMATTED,
    )
    assert row is not None
    assert (row["customertypecode"], row["paymenttermscode"]) == (3, 1)
    # ... and reads carry the labels as formatted values.
    assert row[f"customertypecode@{FORMATTED}"] == "Customer"
    assert row[f"paymenttermscode@{FORMATTED}"] == "Net 30"
    rows = client.records.list(
        "account",
        filter="name eq 'Label Co'",
        select=["customertypecode"],
        include_annotations=FORMATTED,
    )
    assert [r[f"customertypecode@{FORMATTED}"] for r in rows] == ["Customer"]
