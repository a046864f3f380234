"""Signing in to both systems with a connection's credentials, naming what is wrong: the
connection check behind `setup --test`, the REST connection test and the admin page's."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..engine.connection import Connection
from ..engine.errors import CoupletError
from .http import HttpSession, RetryPolicy, error_message

# A connection check has a person waiting for its answer: it rides out a transient fault at
# the same number of attempts as a run, but with short waits (a service that is down is
# named in seconds, not after the minute a run would give it).
CHECK_POLICY = RetryPolicy(total_seconds=10.0, backoff=0.05, backoff_max=1.0)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_sign_in(connection: Connection, crm: HttpSession, erp: HttpSession) -> list[Check]:
    """Signs in to the CRM (WhoAmI) and the ERP (its companies) and checks that the ERP has
    the connection's company."""
    checks: list[Check] = []
    try:
        who = crm.request("GET", f"{connection.crm_url}/api/data/v9.2/WhoAmI")
        if who.status_code == 200:
            checks.append(Check("CRM sign-in", True, f"signed in as user {who.json()['UserId']}"))
        else:
            checks.append(Check("CRM sign-in", False, error_message(who)))
    except (CoupletError, httpx.HTTPError) as exc:
        checks.append(Check("CRM sign-in", False, _reason(exc, connection.crm_url)))
    try:
        companies = erp.request("GET", f"{connection.erp_url}/api/v2.0/companies")
        if companies.status_code != 200:
            checks.append(Check("ERP sign-in", False, error_message(companies)))
        else:
            checks.append(Check("ERP sign-in", True, "signed in"))
            names = [c.get("name") for c in companies.json().get("value", [])]
            found = connection.erp_company in names
            checks.append(
                Check(
                    "ERP company",
                    found,
                    f"company '{connection.erp_company}' "
                    + ("found" if found else f"not found; the ERP has {names}"),
                )
            )
    except (CoupletError, httpx.HTTPError) as exc:
        checks.append(Check("ERP sign-in", False, _reason(exc, connection.erp_url)))
    return checks


def _reason(exc: Exception, url: str) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach {url}: is the service running?"
    return str(exc)
