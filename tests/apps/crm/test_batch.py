"""Multipart $batch: change sets, Content-ID references, errors, continue-on-error."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.helpers import API, CrmClient


def _part(
    method: str,
    url: str,
    body: Any = None,
    content_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"{method} {url} HTTP/1.1"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("")
    text = "\r\n".join(lines) + "\r\n"
    if body is not None:
        text += json.dumps(body)
    return text


def _batch(parts: list[str | list[str]]) -> tuple[str, str]:
    b = f"batch_{uuid.uuid4()}"
    out = ""
    for p in parts:
        out += f"--{b}\r\n"
        if isinstance(p, list):
            cs = f"changeset_{uuid.uuid4()}"
            out += f"Content-Type: multipart/mixed; boundary={cs}\r\n\r\n"
            for inner in p:
                out += f"--{cs}\r\n{inner}\r\n"
            out += f"--{cs}--\r\n"
        else:
            out += p + "\r\n"
    out += f"--{b}--\r\n"
    return out, f"multipart/mixed; boundary={b}"


def _send(crm: CrmClient, parts: list[str | list[str]], prefer: str | None = None) -> Any:
    body, ctype = _batch(parts)
    headers = crm.headers({"Content-Type": ctype, **({"Prefer": prefer} if prefer else {})})
    return crm.http.post(API + "$batch", content=body.encode(), headers=headers)


def test_changeset_with_content_id_references(crm: CrmClient) -> None:
    r = _send(
        crm,
        [
            [
                _part("POST", f"{API}accounts", {"name": "Batch Co"}, content_id="1"),
                _part(
                    "POST",
                    f"{API}contacts",
                    {"lastname": "Ref", "parentcustomerid_account@odata.bind": "$1"},
                    content_id="2",
                ),
                _part("PATCH", "$1", {"telephone1": "123"}, content_id="3"),
            ],
            _part("GET", f"{API}accounts?$select=name"),
        ],
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("multipart/mixed; boundary=batchresponse_")
    assert r.text.count("HTTP/1.1 204") == 3
    assert "HTTP/1.1 200" in r.text and "Batch Co" in r.text
    contact = crm.get("contacts", params={"$filter": "lastname eq 'Ref'"}).json()["value"][0]
    account = crm.row("accounts", contact["_parentcustomerid_value"])
    assert account["telephone1"] == "123"


def test_failing_changeset_rolls_back_and_answers_400(crm: CrmClient) -> None:
    r = _send(
        crm,
        [
            [
                _part("POST", f"{API}accounts", {"name": "Rolled back"}, content_id="1"),
                _part("POST", f"{API}accounts", {"name": "x" * 500}, content_id="2"),
            ]
        ],
    )
    assert r.status_code == 400
    assert "name" in r.json()["error"]["message"]
    assert crm.get("accounts").json()["value"] == []


def test_stops_at_first_error_by_default(crm: CrmClient) -> None:
    r = _send(
        crm,
        [
            _part("POST", f"{API}accounts", {"name": "First"}),
            _part("POST", f"{API}accounts", {"bad": 1}),
            _part("POST", f"{API}accounts", {"name": "Third"}),
        ],
    )
    assert r.status_code == 400
    names = {x["name"] for x in crm.get("accounts").json()["value"]}
    assert names == {"First"}


def test_continue_on_error(crm: CrmClient) -> None:
    r = _send(
        crm,
        [
            _part("POST", f"{API}accounts", {"name": "First"}),
            _part("POST", f"{API}accounts", {"bad": 1}),
            [
                _part("POST", f"{API}accounts", {"name": "CS"}),
                _part("POST", f"{API}accounts", {"name": None}),
            ],
            _part("POST", f"{API}accounts", {"name": "Third"}),
        ],
        prefer="odata.continue-on-error",
    )
    assert r.status_code == 200
    assert r.headers["Preference-Applied"] == "odata.continue-on-error"
    assert r.text.count("HTTP/1.1 400") == 2 and r.text.count("HTTP/1.1 204") == 2
    names = {x["name"] for x in crm.get("accounts").json()["value"]}
    assert names == {"First", "Third"}


def test_unknown_content_id_and_get_in_changeset(crm: CrmClient) -> None:
    r = _send(
        crm,
        [
            [
                _part(
                    "POST",
                    f"{API}contacts",
                    {"lastname": "x", "parentcustomerid_account@odata.bind": "$9"},
                )
            ]
        ],
    )
    assert r.status_code == 400
    assert "Content-ID Reference: '$9' does not exist in the batch context." in r.text
    r = _send(crm, [[_part("GET", f"{API}accounts")]])
    assert r.status_code == 400


def test_batch_limit_is_1000(crm: CrmClient) -> None:
    parts: list[str | list[str]] = [_part("GET", f"{API}WhoAmI") for _ in range(1001)]
    r = _send(crm, parts)
    assert r.status_code == 400
    assert "1000" in r.json()["error"]["message"]


def test_batch_needs_auth(crm: CrmClient) -> None:
    body, ctype = _batch([_part("GET", f"{API}accounts")])
    r = crm.http.post(API + "$batch", content=body.encode(), headers={"Content-Type": ctype})
    assert r.status_code == 401


def test_return_representation_inside_batch(crm: CrmClient) -> None:
    r = _send(
        crm,
        [
            _part(
                "POST",
                f"{API}accounts",
                {"name": "Rep"},
                headers={"Prefer": "return=representation"},
            )
        ],
    )
    assert r.status_code == 200
    assert "HTTP/1.1 201" in r.text and '"name":"Rep"' in r.text
