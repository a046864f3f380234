"""Dataverse's metadata Web API: `EntityDefinitions` (with `$filter`, `$select`, `$expand`, key
access by `LogicalName` or `MetadataId`, and the sub-collections `Attributes` - with casts to
derived attribute types - and `Keys`), `GlobalOptionSetDefinitions`, and `InsertOptionValue`
to add an option (docs/protocols.md §A14).

An entity's sub-collections are a dispatch table (`children`): each maps a table to its list
of definitions, so another kind (relationships) is one more entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .._common.errors import ODataError, bad_request
from .._common.http import Reply, Request
from .._common.model import EntityDef, Model
from .._common.operations import require_privilege
from .._common.records import Tx
from . import relationships
from .dataverse import key_pairs
from .definitions import CASTS, Column, Definitions, label
from .metadata_query import Options, matches, parse, project
from .options import OptionSets
from .schema import Table

__all__ = ["Child", "MetadataApi", "label"]

_PATH = re.compile(
    r"^(?P<root>EntityDefinitions|GlobalOptionSetDefinitions)(?:\((?P<key>[^()]*)\))?"
    r"(?:/(?P<child>[A-Za-z]+)(?:\((?P<child_key>[^()]*)\))?)?"
    r"(?:/Microsoft\.Dynamics\.CRM\.(?P<cast>\w+))?$"
)
_NOT_FOUND = "0x80040217"

# A sub-collection of an entity definition: (table, cast, its query options) -> definitions,
# and the metadata type its items have (for error messages).
Child = tuple[Callable[[EntityDef, str | None, Options], list[dict[str, Any]]], str]


def _segment(path: str) -> ODataError:
    return ODataError(404, f"Resource not found for the segment '{path}'.", "0x80060888")


class MetadataApi:
    def __init__(self, model: Model, options: OptionSets, tables: dict[str, Table]) -> None:
        self.model = model
        self.options = options
        self.tables = tables
        self.definitions = Definitions(tables, options)
        self.children: dict[str, Child] = {
            "Attributes": (self._attributes, "AttributeMetadata"),
            "Keys": (self._plain(self.definitions.keys), "EntityKeyMetadata"),
            "ManyToOneRelationships": (
                self._plain(self._relationships("ReferencingEntity")),
                "OneToManyRelationshipMetadata",
            ),
            "OneToManyRelationships": (
                self._plain(self._relationships("ReferencedEntity")),
                "OneToManyRelationshipMetadata",
            ),
        }

    def handles(self, path: str) -> bool:
        return (
            path.startswith(("EntityDefinitions", "GlobalOptionSetDefinitions"))
            or path == "InsertOptionValue"
        )

    def __call__(self, tx: Tx, req: Request) -> Reply:
        path = req.path.strip("/")
        if path == "InsertOptionValue":
            return self._insert_option(tx, req)
        if req.method != "GET":
            raise ODataError(405, "Metadata is read-only here.")
        match = _PATH.match(path)
        if match is None:
            raise _segment(path)
        opts = parse(req.query)
        context = f"{req.base_url}$metadata#{match.group('root')}"
        if match.group("root") == "GlobalOptionSetDefinitions":
            if match.group("child") or match.group("cast"):
                raise _segment(path)
            sets = self.definitions.global_option_sets()
            return self._answer(context, sets, match.group("key"), opts, "OptionSetMetadata")
        if match.group("key") is None:
            if match.group("child") or match.group("cast"):
                raise _segment(path)
            entities = [self._entity(e, opts) for e in self.model.entities.values()]
            return self._answer(context, entities, None, opts, "EntityMetadata")
        entity = self._find(match.group("key"))
        if match.group("child") is None:
            if match.group("cast"):
                raise _segment(path)
            return self._answer(context, [self._entity(entity, opts)], "", opts, "EntityMetadata")
        if match.group("child") not in self.children:
            raise _segment(match.group("child"))
        items_of, type_name = self.children[match.group("child")]
        cast = match.group("cast")
        items = items_of(entity, cast, opts)
        context += f"({match.group('key')})/{match.group('child')}"
        if cast:
            context += f"/Microsoft.Dynamics.CRM.{cast}"
            type_name = cast
        return self._answer(context, items, match.group("child_key"), opts, type_name)

    def _answer(
        self,
        context: str,
        items: list[dict[str, Any]],
        key: str | None,
        opts: Options,
        type_name: str,
    ) -> Reply:
        """One definition (`key` given; "" when the path chose it already) or a filtered
        collection, with `$select` applied."""
        if key is not None:
            item = items[0] if key == "" else _by_key(items, key, type_name)
            body = project(item, opts, type_name)
            return Reply(200, {"@odata.context": context + "/$entity", **body})
        chosen = [project(i, opts, type_name) for i in items if matches(opts.filter, i, type_name)]
        return Reply(200, {"@odata.context": context, "value": chosen})

    # -- tables ---------------------------------------------------------------------

    def _find(self, key: str) -> EntityDef:
        """`(LogicalName='account')` or `(<MetadataId>)`: the keys EntityMetadata has."""
        if "=" in key and [k for k, _ in key_pairs(key)] != ["LogicalName"]:
            raise bad_request(f"The key '{key}' is not valid for EntityMetadata.")
        bodies = [self.definitions.entity(e) for e in self.model.entities.values()]
        return self.model.entity(str(_by_key(bodies, key, "EntityMetadata")["LogicalName"]))

    def _entity(self, e: EntityDef, opts: Options) -> dict[str, Any]:
        body = self.definitions.entity(e)
        for name, sub in opts.expand.items():
            if name not in self.children:
                raise bad_request(
                    f"Could not find a property named '{name}' on type "
                    "'Microsoft.Dynamics.CRM.EntityMetadata'."
                )
            items_of, type_name = self.children[name]
            body[name] = [
                project(i, sub, type_name)
                for i in items_of(e, None, sub)
                if matches(sub.filter, i, type_name)
            ]
        return body

    @staticmethod
    def _plain(
        items: Callable[[EntityDef], list[dict[str, Any]]],
    ) -> Callable[[EntityDef, str | None, Options], list[dict[str, Any]]]:
        """A sub-collection without derived types: a cast on it names no resource."""

        def items_of(e: EntityDef, cast: str | None, opts: Options) -> list[dict[str, Any]]:
            if cast:
                raise _segment(f"Microsoft.Dynamics.CRM.{cast}")
            return items(e)

        return items_of

    def _relationships(self, side: str) -> Callable[[EntityDef], list[dict[str, Any]]]:
        """The relationships in which a table is on `side` (the referencing table: its
        many-to-one relationships; the referenced one: its one-to-many)."""

        def of(e: EntityDef) -> list[dict[str, Any]]:
            every = relationships.relationships(self.model, self.tables)
            return [r for r in every if r[side] == e.name]

        return of

    # -- columns --------------------------------------------------------------------

    def _attributes(self, e: EntityDef, cast: str | None, opts: Options) -> list[dict[str, Any]]:
        """The table's columns; a cast keeps those of that type (and permits the expansion
        of its navigation properties: `OptionSet`, `GlobalOptionSet`)."""
        if cast is not None and cast not in CASTS:
            raise _segment(f"Microsoft.Dynamics.CRM.{cast}")
        columns = [c for c in self.definitions.columns(e) if cast is None or c.is_a(cast)]
        for name in opts.expand:
            if name not in ("OptionSet", "GlobalOptionSet") or cast is None:
                raise bad_request(
                    f"Could not find a property named '{name}' on type "
                    f"'Microsoft.Dynamics.CRM.{cast or 'AttributeMetadata'}'."
                )
        return [self._attribute(c, opts) for c in columns]

    def _attribute(self, c: Column, opts: Options) -> dict[str, Any]:
        body = self.definitions.attribute(c)
        if "OptionSet" in opts.expand:
            body["OptionSet"] = self.definitions.option_set(c)
        if "GlobalOptionSet" in opts.expand:
            shared = self.definitions.global_name(c)
            body["GlobalOptionSet"] = self.definitions.global_option_set(shared) if shared else None
        return body

    # -- InsertOptionValue ----------------------------------------------------------

    def _insert_option(self, tx: Tx, req: Request) -> Reply:
        if req.method != "POST":
            raise ODataError(405, "InsertOptionValue is an action; use POST.")
        if not tx.principal.is_admin and not tx.principal.can("*", "write"):
            raise ODataError(403, "You need the privilege to customize the system.", "0x80040220")
        body = req.json()
        name = str(body.get("EntityLogicalName", ""))
        if name not in self.model.entities:
            raise ODataError(404, f"Could not find an entity with the name '{name}'.", _NOT_FOUND)
        entity = self.model.entities[name]
        require_privilege(tx, entity, "write")
        attribute = str(body.get("AttributeLogicalName", ""))
        if entity.field(attribute) is None:
            raise bad_request(
                f"Could not find attribute '{attribute}' on '{entity.name}'.",
                target="AttributeLogicalName",
            )
        text = _label_text(body.get("Label"))
        value = body.get("Value")
        if value is not None and not isinstance(value, int):
            raise bad_request("Value must be an integer.", target="Value")
        new = self.options.insert(tx.conn, attribute, text, value)
        return Reply(
            200,
            {
                "@odata.context": f"{req.base_url}$metadata#Microsoft.Dynamics.CRM."
                "InsertOptionValueResponse",
                "NewOptionValue": new,
            },
        )


def _by_key(items: list[dict[str, Any]], key: str, type_name: str) -> dict[str, Any]:
    """`(LogicalName='x')`, `(Name='x')` or a bare MetadataId."""
    pairs = dict(key_pairs(key)) if "=" in key else {"MetadataId": key.strip()}
    if len(pairs) != 1:
        raise bad_request(f"The key '{key}' is not valid for {type_name}.")
    ((name, value),) = pairs.items()
    for item in items:
        if name not in item:
            raise bad_request(f"The key '{key}' is not valid for {type_name}.")
        if str(item[name]).lower() == str(value).lower():
            return item
    raise ODataError(404, f"Could not find {type_name} with {name} = '{value}'.", _NOT_FOUND)


def _label_text(raw: Any) -> str:
    if isinstance(raw, dict):
        localized = raw.get("LocalizedLabels") or []
        if localized and isinstance(localized[0], dict) and localized[0].get("Label"):
            return str(localized[0]["Label"])
    raise bad_request("Label needs LocalizedLabels with a Label.", target="Label")
