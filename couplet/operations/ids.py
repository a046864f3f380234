"""Record ids given by a person (command line, REST, forms; docs/behaviour.md §2.10): both
systems name rows by GUID, so anything else is refused before a request is sent, naming
what was given."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ..engine.errors import InvalidIdError


def record_id(value: str, what: str = "record") -> str:
    """The id in the canonical form (lower case, hyphens), or InvalidIdError naming it."""
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise InvalidIdError(
            f"'{value}' is not {_article(what)} {what} id: ids are GUIDs such as "
            "8f0c6b1e-3f6d-4a7e-9d1c-2b5e4a6f7c80."
        ) from None


def record_ids(values: Iterable[str], what: str = "record") -> list[str]:
    return [record_id(v, what) for v in values]


def _article(noun: str) -> str:
    return "an" if noun[:1].upper() in "AEIOU" else "a"
