"""One exception tree for the whole engine, rooted at `CoupletError`."""

from __future__ import annotations


class CoupletError(Exception):
    """Anything couplet reports to a person."""


class ConfigError(CoupletError):
    """The setup is incomplete or inconsistent (exit code 2 on the command line)."""


class MappingError(ConfigError):
    """A table or field mapping breaks a rule (direction, flags, unknown mapping)."""


class InvalidIdError(ConfigError):
    """A request names a record by something that is not a record id (exit code 2; the
    web answers 422)."""


class NotRunnableError(MappingError):
    """A run was asked for that cannot work as asked: a mapping in a direction it does not
    synchronize, or lines that only go with their document (the web answers 400)."""


class UnknownMappingError(MappingError):
    """A request names a mapping that does not exist (the web answers 404 for it)."""


class SyncError(CoupletError):
    """Synchronization could not go on."""


class RetryableError(SyncError):
    """A temporary failure (throttling, unavailable service): try again after `retry_after`."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnavailableError(RetryableError):
    """A system has not answered several requests in a row, even after retries: the run
    stops here, and a later run resumes where it stopped."""


class FatalError(SyncError):
    """A failure no retry will fix (bad credentials, missing privileges)."""


class RecordError(CoupletError):
    """One record could not be synchronized; logged with both ids, never stops a job."""


class CouplingError(CoupletError):
    """A coupling request breaks a rule (the row is coupled elsewhere, or does not exist)."""
