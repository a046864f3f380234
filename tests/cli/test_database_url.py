"""A database URL that will not do is refused in one line, with exit code 2 and the
password hidden - never a driver traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from couplet.cli.main import app

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo://somewhere/db", "is not one couplet can use; give sqlite:///FILE or postgresql://"),
        ("not a url", "is not one couplet can use"),
        ("postgresql://couplet:hunter2@127.0.0.1:{port}/db", "Cannot open the database"),
    ],
)
def test_a_bad_database_url_is_one_line_and_exit_2(url: str, expected: str) -> None:
    url = url.format(port=_closed_port())
    result = runner.invoke(app, ["setup", "--show", "--database-url", url])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_a_database_file_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    url = f"sqlite:///{blocker}/engine.db"
    result = runner.invoke(app, ["setup", "--show", "--database-url", url])
    assert result.exit_code == 2 and "Cannot create the database" in result.output
    assert str(blocker) in result.output
