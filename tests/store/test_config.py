"""Stored connection setup: secrets encrypted at rest, key kept beside the database."""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from couplet.engine.connection import Connection, Features
from couplet.engine.errors import ConfigError
from couplet.store.config import SqlConfig
from couplet.store.db import make_engine, migrate
from couplet.store.secrets import SecretBox, load_key

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
CONN = Connection(
    crm_url="http://127.0.0.1:8101/",
    crm_client_id="crm-app",
    crm_client_secret="crm-TOP-SECRET",
    erp_url="http://127.0.0.1:8102",
    erp_client_id="erp-app",
    erp_client_secret="erp-TOP-SECRET",
    features=Features(sales_order_integration=True),
)


def test_connection_round_trip_with_encrypted_secrets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/engine.db"
    engine = make_engine(url)
    migrate(engine)
    key = load_key(url, None)
    key_file = tmp_path / "engine.key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_key(url, None) == key  # generated once, then reused
    config = SqlConfig(engine, SecretBox(key))
    assert config.connection() is None
    config.save_connection(CONN.validate(), NOW)
    loaded = config.connection()
    assert loaded is not None and loaded.crm_client_secret == "crm-TOP-SECRET"
    assert loaded.crm_url == "http://127.0.0.1:8101"
    assert loaded.features.sales_order_integration is True
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for row in conn.execute(sa.text("select * from connection")) for v in row
        )
    assert "TOP-SECRET" not in dump
    other = SqlConfig(engine, SecretBox(Fernet.generate_key()))
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        other.connection()
    engine.dispose()


def test_configured_key_wins_and_bad_keys_are_reported(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    assert load_key(f"sqlite:///{tmp_path}/x.db", key) == key.encode()
    assert not (tmp_path / "x.key").exists()
    with pytest.raises(ConfigError, match="not a valid key"):
        SecretBox(b"short")


def test_validation_names_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match="CRM URL"):
        Connection(**{**CONN.__dict__, "crm_url": "localhost:8101"}).validate()
    with pytest.raises(ConfigError, match="--erp-client-secret"):
        Connection(**{**CONN.__dict__, "erp_client_secret": " "}).validate()
    with pytest.raises(ConfigError, match="sales order"):
        Connection(
            **{**CONN.__dict__, "features": Features(auto_create_sales_orders=True)}
        ).validate()
    shown = CONN.redacted()
    assert "TOP-SECRET" not in str(shown)


def test_mapping_documents(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/m.db")
    migrate(engine)
    config = SqlConfig(engine, SecretBox(Fernet.generate_key()))
    config.save_mapping_documents([{"name": "B", "x": 1}, {"name": "A", "x": 2}], NOW)
    assert [d["name"] for d in config.mapping_documents()] == ["B", "A"]
    config.save_mapping_documents([{"name": "C"}], NOW)
    assert config.mapping_documents() == [{"name": "C"}]
    engine.dispose()


def test_sign_in_settings_round_trip_with_the_certificate_encrypted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/engine.db"
    engine = make_engine(url)
    migrate(engine)
    config = SqlConfig(engine, SecretBox(load_key(url, None)))
    pem = "-----BEGIN PRIVATE KEY-----\nKEY-TOP-SECRET\n-----END PRIVATE KEY-----\n"
    signed = replace(
        CONN,
        crm_authority="https://login.microsoftonline.com/contoso.onmicrosoft.com/",
        crm_certificate=pem,
        crm_client_secret="",
        erp_authority="https://login.microsoftonline.com/contoso.onmicrosoft.com",
        erp_scope="https://api.businesscentral.dynamics.com/.default",
    ).validate()
    config.save_connection(signed, NOW)
    loaded = config.connection()
    assert loaded == signed and loaded.crm_certificate == pem
    assert loaded.crm_authority == "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    # Dataverse's scope is the environment URL; Business Central's is one for every tenant.
    assert loaded.crm_sign_in_scope() == "http://127.0.0.1:8101/.default"
    shown = loaded.redacted()
    assert shown["crm_certificate"] == "********" and shown["crm_client_secret"] is None
    assert "KEY-TOP-SECRET" not in str(shown)
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for row in conn.execute(sa.text("select * from connection")) for v in row
        )
    assert "KEY-TOP-SECRET" not in dump and "login.microsoftonline.com" in dump
    engine.dispose()


def test_sign_in_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="needs --crm-authority"):
        replace(CONN, crm_certificate="PEM").validate()
    with pytest.raises(ConfigError, match="https URL naming the tenant"):
        replace(CONN, erp_authority="http://login.microsoftonline.com/contoso").validate()
    with pytest.raises(ConfigError, match="--erp-client-secret \\(or --erp-certificate\\)"):
        replace(CONN, erp_client_secret="").validate()
