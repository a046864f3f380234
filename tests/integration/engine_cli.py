"""Driving the engine through its command line in end-to-end tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from couplet.cli.main import app
from couplet.web.app import create_app
from tests.integration.conftest import SETUP, Systems
from tests.web.conftest import sign_in

runner = CliRunner()

COUNTERS = ("inserted", "modified", "deleted", "unchanged", "skipped", "failed", "uncoupled")


def cli(systems: Systems, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--database-url", systems.engine_url])
    assert result.exit_code == code, result.output
    return result.output


def cli_json(systems: Systems, *args: str, code: int = 0) -> Any:
    return json.loads(cli(systems, *args, "--json", code=code))


def enable(systems: Systems) -> None:
    cli(systems, "setup", *SETUP, "--enable")


def sync(systems: Systems, mapping: str, code: int = 0) -> dict[str, dict[str, int]]:
    """Runs one mapping; the counters of each pass's job, keyed by direction."""
    jobs = cli_json(systems, "sync", mapping, code=code)
    return {j["direction"]: {k: j[k] for k in COUNTERS} for j in jobs}


def counts(**nonzero: int) -> dict[str, int]:
    """A job's counters: the given ones, every other one zero."""
    return {k: nonzero.get(k, 0) for k in COUNTERS}


def set_mapping(systems: Systems, tmp_path: Path, name: str, **settings: object) -> None:
    """Changes a mapping's settings the way a person would: export, edit, import."""
    file = tmp_path / "mappings.json"
    cli(systems, "mappings", "export", str(file))
    data = json.loads(file.read_text("utf-8"))
    for document in data["mapping"]:
        if document["name"] == name:
            document.update(settings)
    file.write_text(json.dumps(data), "utf-8")
    cli(systems, "mappings", "import", str(file))


def errors(systems: Systems) -> list[dict[str, Any]]:
    return list(cli_json(systems, "errors"))


@contextmanager
def engine_api(systems: Systems) -> Iterator[TestClient]:
    """The engine's web app over the test's engine database, signed in with an API token."""
    engine = systems.engine()
    try:
        with TestClient(create_app(engine)) as http:
            sign_in(engine, http)
            yield http
    finally:
        engine.close()
