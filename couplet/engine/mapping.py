"""Validation of table and field mappings: the rules Business Central enforces on edit.

A mapping that breaks one of them raises `MappingError` with a message that says what to
change. `validate_mapping` checks one mapping on its own (and against the others when a
catalogue is given); `validate_catalogue` checks a whole set, including that dependencies
name known mappings and do not form a cycle (full synchronization runs them in order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from . import roles, transforms
from .errors import MappingError
from .model import Direction, FieldMapping, TableMapping


def describe(field: FieldMapping) -> str:
    """How a person recognises a field mapping in a message."""
    erp = field.erp_field or f"constant {field.constant!r}"
    crm = field.crm_field or f"constant {field.constant!r}"
    return f"{erp} <-> {crm}"


def validate_field(mapping: TableMapping, field: FieldMapping) -> None:
    where = f"Mapping {mapping.name}, field {describe(field)}"
    if field.erp_field is None and field.crm_field is None:
        raise MappingError(f"{where}: name an ERP field, a CRM field, or both")
    if field.erp_field is None or field.crm_field is None:
        # A constant is written into the side that has a field, so it flows one way only.
        towards = Direction.ERP_TO_CRM if field.erp_field is None else Direction.CRM_TO_ERP
        if field.constant is None:
            raise MappingError(f"{where}: a field mapping with one field needs a constant value")
        if field.direction is not towards:
            raise MappingError(f"{where}: a constant for this side must have direction {towards}")
        if field.lookup or field.option:
            raise MappingError(f"{where}: a constant cannot be a lookup or an option")
        if field.use_for_matching:
            raise MappingError(f"{where}: a constant cannot be used for match-based coupling")
    if field.clear_on_failed_sync and field.not_null:
        raise MappingError(
            f"{where}: 'Clear Value on Failed Sync' and 'Not Null' cannot both be set; choose one"
        )
    if field.not_null and field.lookup is None:
        raise MappingError(f"{where}: 'Not Null' is only allowed on reference (lookup) fields")
    if field.lookup and field.option:
        raise MappingError(f"{where}: a field is either a lookup or an option, not both")
    if mapping.option_mapping and field.direction is Direction.BIDIRECTIONAL:
        raise MappingError(f"{where}: fields of an option mapping cannot be bidirectional")
    if field.transform is not None:
        transforms.check(field.transform)
        td = field.transform_direction
        if td is Direction.BIDIRECTIONAL:
            raise MappingError(f"{where}: a transformation applies in one direction")
        if (
            td is not None
            and field.direction is not Direction.BIDIRECTIONAL
            and td is not (field.direction)
        ):
            raise MappingError(
                f"{where}: the transformation direction must be the field's direction "
                f"({field.direction})"
            )


def validate_mapping(
    mapping: TableMapping, catalogue: Mapping[str, TableMapping] | None = None
) -> None:
    """Raises MappingError when `mapping` breaks a rule of §0.1/§0.2."""
    if not mapping.name.strip():
        raise MappingError("a mapping needs a name")
    if mapping.option_mapping:
        if mapping.direction is Direction.BIDIRECTIONAL:
            raise MappingError(
                f"Mapping {mapping.name}: option mappings can only synchronize from or to the "
                "CRM (erp-to-crm or crm-to-erp), not bidirectionally"
            )
        if not mapping.crm_uid_field:
            raise MappingError(f"Mapping {mapping.name}: an option mapping needs crm_uid_field")
    else:
        enabled = [f for f in mapping.fields if f.enabled]
        if not any(f.direction is mapping.direction for f in enabled):
            raise MappingError(
                f"Mapping {mapping.name} cannot have direction {mapping.direction}: no enabled "
                f"field mapping has direction {mapping.direction}; change the direction of a "
                "field mapping first"
            )
    for field in mapping.fields:
        validate_field(mapping, field)
    if catalogue is not None:
        _validate_references(mapping, catalogue)


def _validate_references(mapping: TableMapping, catalogue: Mapping[str, TableMapping]) -> None:
    for field in mapping.fields:
        tables: set[str] = set()
        for name in field.related if field.lookup is not None else ():
            related = catalogue.get(name)
            if related is None:
                raise MappingError(
                    f"Mapping {mapping.name}, field {describe(field)}: the related table must "
                    f"be mapped to transfer this value, and no mapping {name} exists"
                )
            if related.option_mapping:
                raise MappingError(
                    f"Mapping {mapping.name}, field {describe(field)}: {name} is an "
                    "option mapping; set it as the field's option, not its lookup"
                )
            tables.add(related.crm_table)
        if len(tables) > 1:
            raise MappingError(
                f"Mapping {mapping.name}, field {describe(field)}: the mappings of a lookup "
                "must all map to the same CRM table"
            )
        if field.option is not None:
            option = catalogue.get(field.option)
            if option is None or not option.option_mapping:
                raise MappingError(
                    f"Mapping {mapping.name}, field {describe(field)}: {field.option} is not "
                    "an option mapping"
                )
    if mapping.child_mapping is not None:
        child = catalogue.get(mapping.child_mapping)
        if child is None or not mapping.child_field:
            raise MappingError(
                f"Mapping {mapping.name}: child mapping {mapping.child_mapping} does not exist "
                "or child_field (its ERP field pointing at the parent) is missing"
            )
    for dependency in mapping.dependencies:
        if dependency not in catalogue:
            raise MappingError(
                f"Mapping {mapping.name} depends on {dependency}, which is not a mapping"
            )


def validate_catalogue(mappings: Iterable[TableMapping]) -> dict[str, TableMapping]:
    """Validates every mapping and their links; returns them by name."""
    catalogue: dict[str, TableMapping] = {}
    for mapping in mappings:
        if mapping.name in catalogue:
            raise MappingError(f"two mappings are named {mapping.name}")
        catalogue[mapping.name] = mapping
    for mapping in catalogue.values():
        validate_mapping(mapping, catalogue)
    roles.check_unique(catalogue.values())
    dependency_order(catalogue.values())
    return catalogue


def dependency_order(mappings: Iterable[TableMapping]) -> list[list[str]]:
    """The mappings in waves: each wave depends only on earlier ones (dependencies outside
    the given set count as satisfied). Raises MappingError on a cycle."""
    pending = {m.name: set(m.dependencies) for m in mappings}
    known = set(pending)
    waves: list[list[str]] = []
    done: set[str] = set()
    while pending:
        wave = sorted(n for n, deps in pending.items() if not (deps & known) - done)
        if not wave:
            raise MappingError("mapping dependencies form a cycle: " + ", ".join(sorted(pending)))
        waves.append(wave)
        done.update(wave)
        for name in wave:
            del pending[name]
    return waves
