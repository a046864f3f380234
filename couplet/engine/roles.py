"""What a mapping stands for, independent of its name: its role, and its full-sync policy.

Names are the user's (an import may call CUSTOMER "KUNDEN"); the flows and full
synchronization need to know which mapping pairs customers with accounts, so they ask for
a mapping by role. Couplings stay keyed by mapping name in the state store, so a flow looks
the name up from the role (`name_for`). At most one mapping of a catalogue has each role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol, TypeVar

from .errors import MappingError


class Role(StrEnum):
    """The kinds of records the default catalogue pairs (one mapping each)."""

    SALESPERSON = "salesperson"
    CURRENCY = "currency"
    PAYMENT_TERMS = "payment-terms"
    SHIPMENT_METHOD = "shipment-method"
    SHIPPING_AGENT = "shipping-agent"
    CUSTOMER = "customer"
    CONTACT = "contact"
    ITEM_PRODUCT = "item-product"
    RESOURCE_PRODUCT = "resource-product"
    UNIT_GROUP = "unit-group"
    ITEM_UNIT = "item-unit-of-measure"
    RESOURCE_UNIT = "resource-unit-of-measure"
    PRICE_LIST = "price-list"
    PRICE_LIST_LINE = "price-list-line"
    OPPORTUNITY = "opportunity"
    SALES_ORDER = "sales-order"
    POSTED_INVOICE = "posted-invoice"
    POSTED_INVOICE_LINE = "posted-invoice-line"


class FullSyncPolicy(StrEnum):
    """How full synchronization treats a mapping, where the row counts alone would mislead."""

    # Copy when only one side has rows, match-and-couple when both do, nothing when neither.
    BY_COUNTS = "by-counts"
    # Always copy every row (CRM users become salespeople; the ERP side is never matched).
    COPY_ALL = "copy-all"
    # Never part of full synchronization: a flow creates and couples these rows.
    SKIP = "skip"
    # Copy while the CRM holds at most one row (its base currency), else match-and-couple.
    MATCH_IF_SEVERAL_CRM_ROWS = "match-if-several-crm-rows"
    # Match-and-couple whenever the ERP has rows: the CRM makes some of them itself while
    # the line runs (the base unit of each new unit group), so its count cannot tell.
    MATCH_IF_ERP_HAS_ROWS = "match-if-erp-has-rows"


class _Playing(Protocol):
    """What the lookups need of a mapping (the model's TableMapping; the model imports this
    module, so it is not imported here)."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> Role | None: ...


M = TypeVar("M", bound=_Playing)


def find(mappings: Mapping[str, M], role: Role) -> M | None:
    """The mapping with this role, None when the catalogue has none (a feature is off)."""
    return next((m for m in mappings.values() if m.role is role), None)


def mapping_for(mappings: Mapping[str, M], role: Role) -> M:
    """The mapping with this role; MappingError naming the role when there is none."""
    found = find(mappings, role)
    if found is None:
        raise MappingError(
            f'no mapping has the role {role.value}; set role = "{role.value}" on the mapping '
            "that plays it (or reset the mappings to the defaults)"
        )
    return found


def name_for(mappings: Mapping[str, _Playing], role: Role) -> str:
    """The name (the state store's key for couplings) of the mapping with this role."""
    return mapping_for(mappings, role).name


# Documents a flow creates and couples itself (an ERP order made from a CRM order) are
# coupled even when no mapping synchronizes them afterwards (order creation works without
# sales order integration): their couplings are keyed by the mapping's name when a mapping
# has the role, else by this name, the default mapping's.
DOCUMENT_COUPLINGS = {Role.SALES_ORDER: "SALESORDER-ORDER"}


def coupling_name(mappings: Mapping[str, _Playing], role: Role) -> str:
    """The state store's key for the couplings of the documents with this role."""
    found = find(mappings, role)
    if found is not None:
        return found.name
    if role in DOCUMENT_COUPLINGS:
        return DOCUMENT_COUPLINGS[role]
    return name_for(mappings, role)


def check_unique(mappings: Iterable[_Playing]) -> None:
    """MappingError when two mappings claim the same role (lookups would be ambiguous)."""
    seen: dict[Role, str] = {}
    for mapping in mappings:
        if mapping.role is None:
            continue
        if mapping.role in seen:
            raise MappingError(
                f"Mappings {seen[mapping.role]} and {mapping.name} both have the role "
                f"{mapping.role.value}; a role belongs to one mapping"
            )
        seen[mapping.role] = mapping.name
