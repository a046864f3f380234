"""The ERP's tests open the ERP on `database_url` as well: the same database as the `erp`
fixture's, so it starts with the ERP's tables copied from their template."""

from __future__ import annotations

import pytest


@pytest.fixture
def database_url(erp_database_url: str) -> str:
    return erp_database_url
