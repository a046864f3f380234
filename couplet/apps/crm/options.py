"""Choice (option set) values and labels, including the sets clients may extend.

Most choices are fixed by the product (relationship type, product type, states). Payment
terms, freight terms and shipping methods are extensible: their values live in the database
and `InsertOptionValue` adds one, as an integration does when the ERP has a payment term the
CRM lacks. The labels are cached in memory; the database is the source of truth at start.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError, validation
from .._common.model import Field, FieldType, Model
from .entities import EXTENSIBLE_OPTIONS

# Values of options added by clients start where Dataverse starts a publisher's options.
FIRST_CUSTOM_VALUE = 100_000_000


def option_set_of(attribute: str) -> str | None:
    name = attribute.removeprefix("address1_")
    return name if name in EXTENSIBLE_OPTIONS else None


def option_table(model: Model) -> sa.Table:
    if "crm_optionvalue" in model.metadata.tables:
        return model.metadata.tables["crm_optionvalue"]
    return sa.Table(
        "crm_optionvalue",
        model.metadata,
        sa.Column("optionset", sa.String(100), primary_key=True),
        sa.Column("value", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(250), nullable=False),
    )


class OptionSets:
    def __init__(self, model: Model) -> None:
        self.table = option_table(model)
        self._lock = threading.Lock()
        self._values: dict[str, dict[int, str]] = {
            k: dict(v) for k, v in EXTENSIBLE_OPTIONS.items()
        }

    def load(self, conn: sa.Connection) -> None:
        """Stores the default options of a fresh database, then reads every set."""
        existing = {(r.optionset, r.value) for r in conn.execute(sa.select(self.table))}
        for name, values in EXTENSIBLE_OPTIONS.items():
            for value, label in values.items():
                if (name, value) not in existing:
                    conn.execute(
                        sa.insert(self.table).values(optionset=name, value=value, label=label)
                    )
        loaded: dict[str, dict[int, str]] = {name: {} for name in EXTENSIBLE_OPTIONS}
        for row in conn.execute(sa.select(self.table).order_by(self.table.c.value)):
            loaded.setdefault(row.optionset, {})[row.value] = row.label
        with self._lock:
            self._values = loaded

    def labels(self, field: Field) -> dict[int, str] | None:
        name = option_set_of(field.name) if field.type is FieldType.CHOICE else None
        if name is not None:
            return dict(self._values.get(name, {}))
        return dict(field.choice_labels) if field.choice_labels else None

    def names(self) -> list[str]:
        """The shared (global) option sets, by name."""
        with self._lock:
            return list(self._values)

    def values(self, name: str) -> dict[int, str]:
        with self._lock:
            return dict(self._values.get(name, {}))

    def check(self, values: dict[str, Any]) -> None:
        for attribute, value in values.items():
            name = option_set_of(attribute)
            if name is None or value is None:
                continue
            if value not in self._values.get(name, {}):
                raise validation(
                    f"{value} is not a valid value for the option set of '{attribute}'.", attribute
                )

    def insert(self, conn: sa.Connection, attribute: str, label: str, value: int | None) -> int:
        name = option_set_of(attribute)
        if name is None:
            raise ODataError(
                400,
                f"The option set of '{attribute}' cannot be extended by this service.",
                "0x80044331",
            )
        existing = {
            r.value
            for r in conn.execute(sa.select(self.table).where(self.table.c.optionset == name))
        }
        if value is None:
            value = max([FIRST_CUSTOM_VALUE - 1, *existing]) + 1
        if value in existing:
            raise ODataError(
                400, f"The option value {value} already exists in the option set.", "0x80044331"
            )
        conn.execute(sa.insert(self.table).values(optionset=name, value=value, label=label))
        with self._lock:
            self._values.setdefault(name, {})[value] = label
        return value
