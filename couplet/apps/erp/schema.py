"""A compact way to declare Business Central API entities.

Every BC API entity has an `id` GUID key and a read-only `lastModifiedDateTime` and
`systemModifiedBy` (the user who changed it last); every row
also carries two columns clients never see: the row version (behind `@odata.etag`) and,
for company data, the company it belongs to. `entity()` adds them to one declaration, and
records which API group (the standard `v2.0` API or the custom integration API) serves
the entity set. Id/code pairs (`currencyId` + `currencyCode`) are declared as `Pair`s so
the server can fill one from the other, as Business Central does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .._common.model import Conventions, EntityDef, Field, FieldType, Nav

F = FieldType

STANDARD = "v2.0"
CUSTOM = "couplet/integration/v1.0"

CONVENTIONS = Conventions(
    version="systemRowVersion",
    created_on="systemCreatedAt",
    modified_on="lastModifiedDateTime",
    modified_by="systemModifiedBy",
)


@dataclass(frozen=True)
class Pair:
    """An id field and the human code/number beside it that names the same record.

    `code_field` is the field on this entity, `target` the referenced entity and
    `target_code` the field there that the code matches (e.g. `code` or `number`).
    """

    id_field: str
    code_field: str | None
    target: str
    target_code: str


@dataclass(frozen=True)
class Table:
    entity: EntityDef
    groups: frozenset[str]
    pairs: tuple[Pair, ...]
    company_scoped: bool
    number_series: str | None = None  # series that numbers new rows when `number` is blank


def text(name: str, length: int = 100, *, required: bool = False) -> Field:
    return Field(name, F.STRING, max_length=length, required=required)


def money(name: str, *, read_only: bool = False) -> Field:
    return Field(name, F.MONEY, read_only=read_only, default=0 if read_only else None)


def decimal(name: str, *, read_only: bool = False, default: object = None) -> Field:
    return Field(name, F.DECIMAL, read_only=read_only, default=default)


def ro(name: str, kind: FieldType = F.STRING, length: int = 100) -> Field:
    return Field(name, kind, max_length=length if kind is F.STRING else None, read_only=True)


def enum(name: str, *options: str, default: str | None = None) -> Field:
    return Field(
        name, F.STRING, max_length=50, options=tuple(options), default=default or options[0]
    )


def flag(name: str, default: bool = False) -> Field:
    return Field(name, F.BOOL, default=default)


def date(name: str) -> Field:
    return Field(name, F.DATE)


def guid(name: str, target: str, *, required: bool = False) -> Field:
    return Field(name, F.GUID, ref=(target,), required=required)


def entity(
    name: str,
    entity_set: str,
    fields: Sequence[Field],
    *,
    groups: Sequence[str] = (STANDARD,),
    pairs: Sequence[Pair] = (),
    navs: Sequence[Nav] = (),
    company_scoped: bool = True,
    number_series: str | None = None,
) -> Table:
    # Numbers and codes identify records to people and to the uniqueness checks.
    cols = [
        Field("id", F.GUID),
        *(
            dataclasses.replace(f, indexed=True) if f.name in ("number", "code") else f
            for f in fields
        ),
    ]
    names = {f.name for f in cols}
    for p in pairs:
        # Pairs imply their fields; declaring them twice would make two columns.
        if p.id_field not in names:
            cols.append(guid(p.id_field, p.target))
        if p.code_field and p.code_field not in names:
            cols.append(text(p.code_field, 20))
    cols.append(Field("lastModifiedDateTime", F.DATETIME, read_only=True))
    # Business Central's SystemModifiedBy: the user (security id) who changed the row last;
    # integrations filter their own writes out with it (echo suppression).
    cols.append(Field("systemModifiedBy", F.GUID, read_only=True))
    cols.append(Field("systemCreatedAt", F.DATETIME, read_only=True, hidden=True))
    cols.append(Field("systemRowVersion", F.BIGINT, read_only=True, hidden=True))
    if company_scoped:
        cols.append(Field("companyId", F.GUID, hidden=True))
    definition = EntityDef(
        name=name,
        entity_set=entity_set,
        key="id",
        fields=tuple(cols),
        navs=tuple(navs),
        namespace="Microsoft.NAV",
    )
    return Table(definition, frozenset(groups), tuple(pairs), company_scoped, number_series)


def lines_nav(name: str, target: str) -> Nav:
    return Nav(name, target, "documentId", many=True)


def one(name: str, target: str, fk: str) -> Nav:
    return Nav(name, target, fk)
