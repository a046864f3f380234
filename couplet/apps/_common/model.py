"""Entity metadata: the tables behind an OData service, described once as data.

A service declares its entities as `EntityDef`s; `Model` turns them into SQLAlchemy tables
(column name == OData property name, so `$filter`/`$select` map one-to-one) and knows the
conventions of its API (which column holds the row version, who-and-when columns).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from .types import UTCDateTime


class FieldType(StrEnum):
    GUID = "guid"
    STRING = "string"
    MEMO = "memo"
    INT = "int"
    BIGINT = "bigint"
    DECIMAL = "decimal"
    MONEY = "money"
    BOOL = "bool"
    DATETIME = "datetime"
    DATE = "date"
    CHOICE = "choice"


@dataclass(frozen=True)
class Field:
    """One property of an entity.

    `ref` lists the entities a GUID field may point to (checked on write: no dangling
    references). For a polymorphic reference, `ref_type_field` names the hidden column that
    records which of them it is. `read_only` fields are computed by the server and writes to
    them are ignored; `hidden` fields are stored but never shown to clients. `options` lists
    the allowed values of a string enum (Business Central's API enums travel as their
    captions, e.g. "Company").
    """

    name: str
    type: FieldType = FieldType.STRING
    max_length: int | None = None
    required: bool = False
    read_only: bool = False
    default: object = None
    choices: frozenset[int] | None = None
    ref: tuple[str, ...] = ()
    ref_type_field: str | None = None
    hidden: bool = False
    label: str | None = None
    choice_labels: tuple[tuple[int, str], ...] | None = None  # labels of `choices`, when known
    indexed: bool = False  # looked up by value often (numbers, codes): give it an index
    options: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Nav:
    """A navigation property for `$expand`.

    Single-valued: `fk` is a field of this entity pointing at `target`. Collection: `fk` is a
    field of `target` pointing back here. `discriminator` restricts polymorphic references
    to one target type: (type field, type value).
    """

    name: str
    target: str
    fk: str
    many: bool = False
    discriminator: tuple[str, str] | None = None


@dataclass(frozen=True)
class EntityDef:
    name: str
    entity_set: str
    key: str
    fields: tuple[Field, ...]
    navs: tuple[Nav, ...] = ()
    alternate_keys: tuple[tuple[str, ...], ...] = ()
    primary_name: str | None = None
    # The type namespace error messages name the entity in (Dataverse's by default).
    namespace: str = "Microsoft.Dynamics.CRM"
    _index: dict[str, Field] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        return self._index.get(name)

    def nav(self, name: str) -> Nav | None:
        return next((n for n in self.navs if n.name == name), None)

    @property
    def visible_fields(self) -> list[Field]:
        return [f for f in self.fields if not f.hidden]


@dataclass(frozen=True)
class Conventions:
    """Which columns carry the system facts every row has; names differ between the APIs."""

    version: str
    created_on: str | None
    modified_on: str
    created_by: str | None = None
    modified_by: str | None = None
    # How `$filter` behaves (query.py): the functions the API documents (None: every one the
    # parser knows) and whether text compares case-insensitively, as Dataverse's does.
    filter_functions: frozenset[str] | None = None
    case_insensitive_text: bool = False


def _column_type(f: Field) -> sa.types.TypeEngine[Any]:
    match f.type:
        case FieldType.GUID:
            return sa.String(36)
        case FieldType.STRING:
            return sa.String(f.max_length or 4000)
        case FieldType.MEMO:
            return sa.Text()
        case FieldType.INT | FieldType.CHOICE:
            return sa.Integer()
        case FieldType.BIGINT:
            return sa.BigInteger()
        case FieldType.DECIMAL:
            return sa.Numeric(28, 10)
        case FieldType.MONEY:
            return sa.Numeric(23, 4)
        case FieldType.BOOL:
            return sa.Boolean()
        case FieldType.DATETIME:
            return UTCDateTime()
        case FieldType.DATE:
            return sa.Date()
    raise AssertionError(f.type)


class Model:
    """The entities of one service and their SQL tables, plus the service's system tables."""

    def __init__(self, entities: Iterable[EntityDef], conventions: Conventions) -> None:
        self.entities: dict[str, EntityDef] = {e.name: e for e in entities}
        self.by_set: dict[str, EntityDef] = {e.entity_set: e for e in self.entities.values()}
        self.conventions = conventions
        self.metadata = sa.MetaData()
        self.tables: dict[str, sa.Table] = {}
        for e in self.entities.values():
            cols = [
                sa.Column(f.name, _column_type(f), primary_key=f.name == e.key) for f in e.fields
            ]
            table = sa.Table(e.name, self.metadata, *cols)
            sa.Index(f"ix_{e.name}_version", table.c[conventions.version])
            for f in e.fields:
                # References and other ids (company, customer) are what rules look rows up
                # by; without an index every such lookup reads the whole table.
                if f.name != e.key and (f.ref or f.indexed or f.type is FieldType.GUID):
                    sa.Index(f"ix_{e.name}_{f.name.strip('_')}", table.c[f.name])
            self.tables[e.name] = table
        # One counter for the whole database: Dataverse's versionnumber is a database-wide
        # rowversion, which is what makes a single delta token valid across tables.
        self.version_counter = sa.Table(
            "sys_version",
            self.metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("value", sa.BigInteger, nullable=False),
        )
        self.tombstones = sa.Table(
            "sys_tombstone",
            self.metadata,
            sa.Column("entity", sa.String(100), primary_key=True),
            sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("version", sa.BigInteger, nullable=False, index=True),
            sa.Column("deleted_on", UTCDateTime(), nullable=False),
        )
        self.sequences = sa.Table(
            "sys_sequence",
            self.metadata,
            sa.Column("name", sa.String(100), primary_key=True),
            sa.Column("value", sa.BigInteger, nullable=False),
        )
        self.settings = sa.Table(
            "sys_setting",
            self.metadata,
            sa.Column("name", sa.String(100), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        self.clients = sa.Table(
            "sys_oauth_client",
            self.metadata,
            sa.Column("client_id", sa.String(200), primary_key=True),
            sa.Column("secret_hash", sa.String(200), nullable=False),
            sa.Column("principal_id", sa.String(36), nullable=False),
        )

        # entity -> the (referring entity, field) pairs that may point at its rows; system
        # who-columns are left out (a deleted user stays named on what it changed).
        self.referrers: dict[str, list[tuple[str, Field]]] = {}
        for e in self.entities.values():
            for f in e.fields:
                if f.read_only or f.name in (conventions.created_by, conventions.modified_by):
                    continue
                for target in f.ref:
                    self.referrers.setdefault(target, []).append((e.name, f))

    def entity(self, name: str) -> EntityDef:
        return self.entities[name]

    def table(self, name: str) -> sa.Table:
        return self.tables[name]
