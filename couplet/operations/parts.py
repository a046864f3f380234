"""What every use case works with: the stores, the two systems, the clock."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.ports import Clock, JobQueuePort
from ..jobs.lease import LeasePort
from .ports import CheckSignIn, ConfigStore, CredentialStore, StateStore
from .systems import Systems


@dataclass
class Parts:
    config: ConfigStore
    state: StateStore
    queue: JobQueuePort
    credentials: CredentialStore
    systems: Systems
    check_sign_in: CheckSignIn
    clock: Clock
    # One run per mapping (jobs/lease.py): who runs which mapping now.
    leases: LeasePort
    # The web app's admin user name, created by `ensure_admin`.
    admin_user: str = "admin"
