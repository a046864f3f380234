"""One pair of reference services per backend (and test worker), served over TLS as
processes of their own, for third-party clients to meet as they would meet Dataverse and
Business Central. The clients' tests share them: each writes rows of its own and counts
only what it wrote or at least what was seeded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.identity import ClientSecretCredential

from couplet.apps.crm.seed import open_crm_tx, seed_crm
from tests.conftest import _backends, fresh_databases
from tests.servers import ENGINE, seed, serve

# More accounts than Dataverse's largest page (5,000), so paging is exercised.
ACCOUNTS = 5_100
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


@dataclass(frozen=True)
class Services:
    crm: str  # https://127.0.0.1:P, the organization URL
    erp: str  # https://127.0.0.1:P, the host; the API is under `bc_root`
    ca: Path  # the certificate authority that signed both services' certificates
    accounts: int  # accounts in the CRM before any test writes

    @property
    def bc_root(self) -> str:
        """Business Central online's API root for tenant contoso, environment Production."""
        return f"{self.erp}/v2.0/contoso/Production/api/v2.0"

    def credential(self, side: str) -> ClientSecretCredential:
        """azure-identity's own credential, asking the side's identity endpoint (tenant
        contoso) as it would ask login.microsoftonline.com."""
        return ClientSecretCredential(
            tenant_id="contoso",
            client_id=ENGINE[0],
            client_secret=ENGINE[1],
            authority=self.crm if side == "crm" else self.erp,
            disable_instance_discovery=True,
            connection_verify=str(self.ca),
        )

    def token(self, side: str) -> str:
        scope = f"{self.crm}/.default" if side == "crm" else BC_SCOPE
        with self.credential(side) as credential:
            return credential.get_token(scope).token


@pytest.fixture(scope="session", params=_backends())
def services(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """Both reference services with `couplet serve … --tls`, on fresh databases of the
    backend: the CRM holds ACCOUNTS accounts written straight into its database (the seeding
    code, not 5,000 HTTP calls) and both hold the sample rows of `tests.servers.seed`."""
    directory = tmp_path_factory.mktemp("clients")
    with ExitStack() as stack:
        crm_db, erp_db = stack.enter_context(
            fresh_databases(str(request.param), directory, ["crm", "erp"])
        )
        with open_crm_tx(crm_db) as tx:
            seed_crm(tx, accounts=ACCOUNTS - 1, contacts_per_account=0, quotes=0, orders=0)
        seed(crm_db, erp_db)  # adds one account: Fourth Coffee
        ca = directory / ".couplet" / "tls" / "ca.pem"
        crm = stack.enter_context(serve("crm", crm_db, directory, ca))
        erp = stack.enter_context(serve("erp", erp_db, directory, ca))
        yield Services(crm, erp, ca, ACCOUNTS)
