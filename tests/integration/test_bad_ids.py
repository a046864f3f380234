"""A record named by something that is not a record id is refused before anything is sent:
exit code 2 on the command line, 422 from the REST API, the value named."""

from __future__ import annotations

from fastapi.testclient import TestClient

from couplet.web.app import create_app
from tests.integration.conftest import SETUP, Systems
from tests.integration.engine_cli import cli
from tests.web.conftest import sign_in

GOOD = "8f0c6b1e-3f6d-4a7e-9d1c-2b5e4a6f7c80"


def test_bad_ids_exit_2_naming_the_id(systems: Systems) -> None:
    cli(systems, "setup", *SETUP, "--enable")
    for bad, args in (
        ("not-an-id", ("couple", "CUSTOMER", "--erp-id", "not-an-id", "--crm-id", GOOD)),
        ("12", ("couple", "CUSTOMER", "--erp-id", GOOD, "--crm-id", "12")),
        ("x'; drop", ("create-in-crm", "CUSTOMER", "--erp-id", "x'; drop")),
        ("nope", ("create-in-erp", "CUSTOMER", "--crm-id", "nope")),
        ("nope", ("uncouple", "CUSTOMER", "--crm-id", "nope")),
        ("nope", ("sync", "CUSTOMER", "--erp-id", "nope")),
        ("nope", ("orders", "create", "nope")),
        ("nope", ("quotes", "process", "nope")),
    ):
        output = cli(systems, *args, code=2)
        assert f"'{bad}' is not a" in output and "GUID" in output, (args, output)
    # Well-formed ids in any case are taken (GUIDs compare without regard to case).
    cli(systems, "uncouple", "CUSTOMER", "--crm-id", GOOD.upper())


def test_rest_answers_422_for_a_bad_id(systems: Systems) -> None:
    engine = systems.engine()
    try:
        with TestClient(create_app(engine)) as http:
            sign_in(engine, http)
            cli(systems, "setup", *SETUP, "--enable")
            answer = http.post("/api/v1/mappings/CUSTOMER/sync-now", json={"erp_ids": ["nope"]})
            assert answer.status_code == 422, answer.text
            assert "'nope' is not a" in answer.json()["detail"]
    finally:
        engine.close()
