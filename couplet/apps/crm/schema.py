"""A compact way to declare Dataverse tables: attributes, lookups and their navigation.

Dataverse exposes a lookup `x` as the read-only property `_x_value`, sets it with
`x@odata.bind` (or `x_<target>@odata.bind` when it can point at several tables) and expands
it through navigation properties of the same names. `table()` derives all of that, plus the
system columns every row has, from one declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .._common.model import EntityDef, Field, FieldType, Nav

__all__ = ["Lookup", "Table", "choice", "lookup", "money", "option", "states", "table", "text"]


@dataclass(frozen=True)
class Lookup:
    name: str
    targets: tuple[str, ...]
    required: bool = False

    @property
    def column(self) -> str:
        return f"_{self.name}_value"

    @property
    def type_column(self) -> str:
        return f"_{self.name}_type"

    @property
    def polymorphic(self) -> bool:
        return len(self.targets) > 1

    @property
    def owner(self) -> bool:
        return self.name == "ownerid"

    def navigation(self, target: str) -> str:
        """The single-valued navigation property that binds this lookup to a row of `target`:
        polymorphic lookups (Customer, Regarding) name the table (`customerid_account`,
        `objectid_salesorder`); Owner lookups bind through `ownerid` whatever the target
        (its type is `principal`); the others use the lookup's name."""
        return f"{self.name}_{target}" if self.polymorphic and not self.owner else self.name

    def expand_navigation(self, target: str) -> str:
        """The navigation property that expands this lookup to a row of `target`: an owner
        is read through `owninguser` or `owningteam`, as Dataverse names them."""
        return f"owning{target.removeprefix('system')}" if self.owner else self.navigation(target)


@dataclass(frozen=True)
class Table:
    entity: EntityDef
    lookups: tuple[Lookup, ...]
    states: dict[int, tuple[int, frozenset[int]]] | None
    user_owned: bool


def text(name: str, length: int = 100, *, required: bool = False) -> Field:
    return Field(name, FieldType.STRING, max_length=length, required=required)


def money(name: str, *, read_only: bool = False) -> Field:
    return Field(name, FieldType.MONEY, read_only=read_only)


def choice(
    name: str, values: dict[int, str], *, default: int | None = None, required: bool = False
) -> Field:
    return Field(
        name,
        FieldType.CHOICE,
        choices=frozenset(values),
        choice_labels=tuple(values.items()),
        default=default,
        required=required,
    )


def option(name: str) -> Field:
    """A choice whose values live in the database, so clients can add options
    (`InsertOptionValue`); validated by the rules against the option set."""
    return Field(name, FieldType.CHOICE)


def lookup(name: str, *targets: str, required: bool = False) -> Lookup:
    return Lookup(name, targets, required)


def table(
    name: str,
    entity_set: str,
    fields: list[Field],
    *,
    lookups: Sequence[Lookup] = (),
    states: dict[int, tuple[int, frozenset[int]]] | None = None,
    user_owned: bool = False,
    primary_name: str | None = "name",
    collections: Sequence[Nav] = (),
    alternate_keys: tuple[tuple[str, ...], ...] = (),
) -> Table:
    key = f"{name}id"
    all_lookups = list(lookups)
    if user_owned:
        all_lookups.append(Lookup("ownerid", ("systemuser", "team")))
    all_lookups += [Lookup("createdby", ("systemuser",)), Lookup("modifiedby", ("systemuser",))]
    cols: list[Field] = [Field(key, FieldType.GUID)]
    cols += fields
    navs: list[Nav] = list(collections)
    for lk in all_lookups:
        system = lk.name in ("createdby", "modifiedby")
        cols.append(
            Field(
                lk.column,
                FieldType.GUID,
                ref=lk.targets,
                read_only=system,
                required=lk.required,
                ref_type_field=lk.type_column if lk.polymorphic else None,
            )
        )
        if lk.polymorphic:
            cols.append(Field(lk.type_column, FieldType.STRING, max_length=100, hidden=True))
            navs += [
                Nav(lk.expand_navigation(t), t, lk.column, discriminator=(lk.type_column, t))
                for t in lk.targets
            ]
        else:
            navs.append(Nav(lk.name, lk.targets[0], lk.column))
    if states is not None:
        cols.append(Field("statecode", FieldType.CHOICE, choices=frozenset(states), default=0))
        every = frozenset(s for _, (_, statuses) in states.items() for s in statuses)
        cols.append(Field("statuscode", FieldType.CHOICE, choices=every))
    cols += [
        Field("createdon", FieldType.DATETIME, read_only=True),
        Field("modifiedon", FieldType.DATETIME, read_only=True),
        Field("versionnumber", FieldType.BIGINT, read_only=True),
    ]
    entity = EntityDef(
        name=name,
        entity_set=entity_set,
        key=key,
        fields=tuple(cols),
        navs=tuple(navs),
        primary_name=primary_name,
        alternate_keys=alternate_keys,
    )
    return Table(entity, tuple(all_lookups), states, user_owned)


def states(*rows: tuple[int, int, set[int]]) -> dict[int, tuple[int, frozenset[int]]]:
    """(statecode, default statuscode, allowed statuscodes) rows."""
    return {state: (default, frozenset(allowed)) for state, default, allowed in rows}
