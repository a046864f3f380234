"""The CRM's tests open the CRM on `database_url` as well: the same database as the `crm`
fixture's, so it starts with the CRM's tables copied from their template."""

from __future__ import annotations

import pytest


@pytest.fixture
def database_url(crm_database_url: str) -> str:
    return crm_database_url
