"""Migration 0007: a connection stored before sign-in settings existed keeps working and
signs in at the service's own token endpoint (no authority)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from couplet.store.config import SqlConfig
from couplet.store.db import make_engine, migrate
from couplet.store.secrets import SecretBox, load_key
from tests.store.test_mapping_roles_migration import _upgrade_to

NOW = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)


def test_a_connection_stored_at_0005_has_no_authority_after_0007(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/engine.db"
    engine = make_engine(url)
    _upgrade_to(engine, "0005")
    box = SecretBox(load_key(url, None))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into connection (id, crm_url, crm_client_id, crm_secret, erp_url, "
                "erp_company, erp_client_id, erp_secret, enabled, options, updated_at) values "
                "(1, 'http://crm.test', 'crm-app', :crm, 'http://erp.test', 'CRONUS', "
                "'erp-app', :erp, 0, '{}', :now)"
            ),
            {"crm": box.seal("crm-pw"), "erp": box.seal("erp-pw"), "now": NOW},
        )
    migrate(engine)
    stored = SqlConfig(engine, box).connection()
    assert stored is not None and stored.crm_client_secret == "crm-pw"
    assert (stored.crm_authority, stored.erp_authority, stored.erp_certificate) == (None,) * 3
    assert stored.erp_sign_in_scope() == "http://erp.test/.default"
    engine.dispose()
