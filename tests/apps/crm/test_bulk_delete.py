"""BulkDelete: a QuerySet of QueryExpressions deletes the rows they match (§A16)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import CrmClient

CRM = "Microsoft.Dynamics.CRM."


def _job(*queries: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "JobName": "Clean up",
        "SendEmailNotification": False,
        "ToRecipients": [],
        "CCRecipients": [],
        "RecurrencePattern": "",
        "StartDateTime": "2026-01-01T00:00:00Z",
        "QuerySet": list(queries),
        **overrides,
    }


def _query(entity: str, operator: str, *conditions: dict[str, Any]) -> dict[str, Any]:
    return {
        "@odata.type": CRM + "QueryExpression",
        "EntityName": entity,
        "ColumnSet": {"@odata.type": CRM + "ColumnSet", "AllColumns": False, "Columns": []},
        "Criteria": {
            "@odata.type": CRM + "FilterExpression",
            "FilterOperator": operator,
            "Conditions": list(conditions),
        },
    }


def _condition(attribute: str, operator: str, *values: Any) -> dict[str, Any]:
    return {
        "@odata.type": CRM + "ConditionExpression",
        "AttributeName": attribute,
        "Operator": operator,
        "Values": list(values),
    }


def _guid(value: str) -> dict[str, str]:
    return {"Value": value, "Type": "System.Guid"}


def test_deletes_the_rows_the_queries_match_and_answers_a_job_id(crm: CrmClient) -> None:
    ids = [crm.create("accounts", {"name": f"Doomed {i}"})["accountid"] for i in range(3)]
    kept = crm.create("accounts", {"name": "Kept"})["accountid"]
    contact = crm.create("contacts", {"lastname": "Gone", "jobtitle": "Temp"})["contactid"]
    r = crm.post(
        "BulkDelete",
        _job(
            _query("account", "And", _condition("accountid", "In", *map(_guid, ids[:2]))),
            _query(
                "account", "Or", _condition("name", "Equal", "Doomed 2"), _condition("name", "Null")
            ),
            _query("contact", "And", _condition("jobtitle", "Equal", "Temp")),
        ),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.context"].endswith("$metadata#Microsoft.Dynamics.CRM.BulkDeleteResponse")
    assert uuid.UUID(body["JobId"])
    for key in ids:
        assert crm.get(f"accounts({key})").status_code == 404
    assert crm.get(f"contacts({contact})").status_code == 404
    assert crm.get(f"accounts({kept})").status_code == 200


def test_what_it_does_not_understand_is_refused_and_nothing_is_deleted(crm: CrmClient) -> None:
    key = crm.create("accounts", {"name": "Survivor"})["accountid"]
    by_key = _query("account", "And", _condition("accountid", "Equal", _guid(key)))
    refusals = [
        _job(by_key, _query("account", "And", _condition("name", "Like", "S%"))),
        _job(by_key, _query("account", "And", _condition("nosuchcolumn", "Equal", 1))),
        _job(by_key, _query("nosuchtable", "And")),
        _job(by_key, RecurrencePattern="FREQ=DAILY;INTERVAL=1"),
        {k: v for k, v in _job(by_key).items() if k != "JobName"},
    ]
    for job in refusals:
        r = crm.post("BulkDelete", job)
        assert r.status_code == 400, (job, r.text)
        assert r.json()["error"]["message"]
    assert crm.get(f"accounts({key})").status_code == 200
    # The same job, understood, deletes.
    assert crm.post("BulkDelete", _job(by_key)).status_code == 200
    assert crm.get(f"accounts({key})").status_code == 404


def test_is_declared_in_metadata(crm: CrmClient) -> None:
    csdl = crm.get("$metadata").text
    assert '<Action Name="BulkDelete"' in csdl
    assert '<ActionImport Name="BulkDelete" Action="mscrm.BulkDelete"/>' in csdl
    assert '<ComplexType Name="BulkDeleteResponse">' in csdl
