"""The shape of a catalogue document (the defaults' TOML, exports, imports, the stored form).

Every key is declared: an unknown key is refused rather than silently ignored (a misspelt
`only_couple = false` would otherwise leave the mapping syncing everything), and flags take
only real booleans, so the string "false" is not read as true. Rules that concern the
meaning of a mapping (directions of fields, lookups, dependencies) stay in `mapping.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from .errors import MappingError
from .model import DeletionConflict, Direction, Op, UpdateConflict
from .roles import FullSyncPolicy, Role

_T = TypeVar("_T")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConditionDoc(_Doc):
    field: StrictStr
    op: Op = Op.EQ
    value: Any = None


class TransformDoc(BaseModel):
    """A transformation rule: its parameters depend on the kind (checked by `transforms`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: StrictStr


class FieldDoc(_Doc):
    erp: StrictStr | None = None
    crm: StrictStr | None = None
    direction: Direction = Direction.BIDIRECTIONAL
    constant: Any = None
    # `validate` is a (deprecated) method of pydantic models, hence the alias.
    validate_value: StrictBool = Field(default=True, alias="validate")
    clear_on_failed_sync: StrictBool = False
    not_null: StrictBool = False
    transform: TransformDoc | None = None
    transform_direction: Direction | None = None
    lookup: StrictStr | None = None
    option: StrictStr | None = None
    match: StrictBool = False
    case_sensitive: StrictBool = False
    match_priority: StrictInt = 0
    enabled: StrictBool = True
    sync_uncoupled: StrictBool = False
    fixed: StrictBool = False
    requires: list[StrictStr] = []


class JobDoc(_Doc):
    # A job that runs every 0 or -5 seconds, or never tries, is a typo, not a setting.
    enabled: StrictBool = True
    interval_seconds: Annotated[StrictInt, Field(ge=1)] = 1800
    inactivity_timeout_minutes: Annotated[StrictInt, Field(ge=0)] = 720
    max_attempts: Annotated[StrictInt, Field(ge=1)] = 10
    rerun_delay_seconds: Annotated[StrictInt, Field(ge=0)] = 30
    category: StrictStr = ""


class MappingDoc(_Doc):
    name: Annotated[StrictStr, Field(min_length=1)]
    description: StrictStr = ""
    requires: list[StrictStr] = []
    role: Role | None = None
    full_sync: FullSyncPolicy = FullSyncPolicy.BY_COUNTS
    erp_table: Annotated[StrictStr, Field(min_length=1)]
    crm_table: Annotated[StrictStr, Field(min_length=1)]
    direction: Direction = Direction.BIDIRECTIONAL
    only_coupled: StrictBool = True
    dependencies: list[StrictStr] = []
    erp_filter: list[ConditionDoc] = []
    crm_filter: list[ConditionDoc] = []
    update_conflict: UpdateConflict = UpdateConflict.NONE
    deletion_conflict: DeletionConflict = DeletionConflict.NONE
    sync_after_coupling: StrictBool = False
    create_new_if_no_match: StrictBool = False
    option_mapping: StrictBool = False
    crm_uid_field: StrictStr | None = None
    erp_template: dict[str, Any] = {}
    crm_template: dict[str, Any] = {}
    parent: StrictStr | None = None
    job: JobDoc = JobDoc()
    match_before_insert: StrictBool = False
    child_mapping: StrictStr | None = None
    child_field: StrictStr | None = None
    crm_write_state: dict[str, Any] = {}
    fields: list[FieldDoc] = []


# -- document field maps: what the flows write besides the mappings' own fields -------------


class FieldPair(_Doc):
    """An ERP field and the CRM field it is written from or to."""

    erp: StrictStr
    crm: StrictStr


class OptionField(FieldPair):
    """A CRM choice whose ERP value is the record coupled through the option mapping with
    this role."""

    role: Role


class SalesHeaderDoc(_Doc):
    """An ERP sales order or quote header made from a CRM order or quote (flows/builders)."""

    description: StrictStr = ""
    # CRM address prefix (billto, shipto) -> ERP address prefix (billTo, shipTo)
    address_sides: dict[StrictStr, StrictStr]
    # CRM address part (line1 ...) -> ERP address field suffix (AddressLine1 ...)
    address_parts: dict[StrictStr, StrictStr]
    options: list[OptionField]


class StatisticsDoc(_Doc):
    """The ERP customer statistics figures written into the CRM account statistics."""

    description: StrictStr = ""
    figures: list[FieldPair]


class ProductKind(_Doc):
    """An ERP line type that stands for a CRM product: where it lives and how it couples."""

    line_type: StrictStr  # Item | Resource
    crm_product_type: StrictInt  # the CRM product's producttypecode
    erp_table: StrictStr
    role: Role  # the mapping coupling them to CRM products
    unit_table: StrictStr
    unit_role: Role  # the mapping coupling their units of measure to CRM units
    owner_field: StrictStr  # the unit of measure's field naming its item or resource


class ProductsDoc(_Doc):
    description: StrictStr = ""
    kinds: list[ProductKind]


class DocumentsDoc(_Doc):
    """The `[document.<name>]` sections of the catalogue."""

    sales_header: SalesHeaderDoc | None = Field(default=None, alias="sales-header")
    account_statistics: StatisticsDoc | None = Field(default=None, alias="account-statistics")
    products: ProductsDoc | None = None

    def header(self) -> SalesHeaderDoc:
        return _required(self.sales_header, "sales-header")

    def statistics(self) -> StatisticsDoc:
        return _required(self.account_statistics, "account-statistics")

    def product_kinds(self) -> list[ProductKind]:
        return _required(self.products, "products").kinds


def _required(section: _T | None, name: str) -> _T:
    if section is None:
        raise MappingError(f"the catalogue has no [document.{name}] section")
    return section


class CatalogueFile(_Doc):
    """One TOML file of the default catalogue (or an imported file)."""

    mapping: list[MappingDoc] = []
    document: DocumentsDoc = DocumentsDoc()
