"""`couplet setup` takes client secrets from a file, an environment variable or a hidden
prompt, so they need not stand on a command line that every user of the machine can see."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from couplet.cli.main import app
from couplet.settings import EngineSettings
from couplet.wiring import open_integration
from tests.cli.conftest import ARGS

runner = CliRunner()


def _without(*flags: str) -> list[str]:
    """ARGS without the named options and their values."""
    kept: list[str] = []
    pairs = zip(ARGS[::2], ARGS[1::2], strict=True)
    for flag, value in pairs:
        if flag not in flags:
            kept += [flag, value]
    return kept


def _secrets(engine_db: str) -> tuple[str, str]:
    integration = open_integration(EngineSettings(database_url=engine_db))
    try:
        stored = integration.stored_connection()
        assert stored is not None
        return stored.crm_client_secret, stored.erp_client_secret
    finally:
        integration.close()


def test_secrets_from_a_file_and_from_the_environment(engine_db: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "crm-secret"
    secret_file.write_text("from-the-file\n")
    args = _without("--crm-client-secret", "--erp-client-secret")
    result = runner.invoke(
        app,
        ["setup", *args, "--crm-client-secret-file", str(secret_file), "--database-url", engine_db],
        env={"COUPLET_SETUP_ERP_CLIENT_SECRET": "from-the-environment"},
    )
    assert result.exit_code == 0, result.output
    assert _secrets(engine_db) == ("from-the-file", "from-the-environment")
    assert "from-the" not in result.output


def test_a_dash_asks_for_the_secret_without_echo(engine_db: str) -> None:
    assert runner.invoke(app, ["setup", *ARGS, "--database-url", engine_db]).exit_code == 0
    result = runner.invoke(
        app,
        ["setup", "--erp-client-secret", "-", "--database-url", engine_db],
        input="typed-secret\n",
    )
    assert result.exit_code == 0, result.output
    assert _secrets(engine_db)[1] == "typed-secret" and "typed-secret" not in result.output


def test_unusable_secret_sources_are_refused(engine_db: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    for extra in (
        ["--crm-client-secret-file", str(empty)],
        ["--crm-client-secret-file", str(tmp_path / "missing")],
    ):
        result = runner.invoke(
            app, ["setup", *_without("--crm-client-secret"), *extra, "--database-url", engine_db]
        )
        assert result.exit_code == 2, result.output
        assert "secret file" in result.output
    both = runner.invoke(
        app,
        ["setup", *ARGS, "--crm-client-secret-file", str(empty), "--database-url", engine_db],
    )
    assert both.exit_code == 2 and "not both" in both.output
