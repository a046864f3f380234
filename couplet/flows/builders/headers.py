"""Headers of ERP sales documents built from CRM orders and quotes (§5.2, §6).

Orders and quotes take the same header from their CRM document: the customer coupled to
the document's account, Your Reference = the CRM number, External Document No. = the CRM
name, currency, requested delivery date, addresses (only when given), option fields,
payment discount, work description and the CRM discounts as an invoice discount. The
address and option fields are data, the catalogue's `[document.sales-header]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...engine import roles
from ...engine.context import Context
from ...engine.errors import RecordError
from ...engine.model import Ref
from ...engine.roles import Role
from ...engine.transfer import reference_key

CUSTOMER_TYPE = 3  # the CRM account's relationship type Customer
TEXT_LENGTH = 35  # Business Central's Your Reference and External Document No.


@dataclass(frozen=True)
class DocumentKind:
    """Which CRM document a header comes from: its noun and the field holding its number."""

    noun: str  # "order" or "quote"
    number_field: str  # "ordernumber" or "quotenumber"

    @property
    def cannot(self) -> str:
        """The prefix of every error, as Business Central words it."""
        return f"The sales {self.noun} cannot be created"


ORDER = DocumentKind("order", "ordernumber")
QUOTE = DocumentKind("quote", "quotenumber")


def document_header(ctx: Context, v: Mapping[str, Any], kind: DocumentKind) -> dict[str, Any]:
    """The ERP header fields of the CRM document with values `v`."""
    fields = ctx.documents.header()
    header: dict[str, Any] = {
        "customerId": _customer(ctx, v.get("customerid"), kind),
        "externalDocumentNumber": str(v.get("name") or "")[:TEXT_LENGTH],
        "yourReference": str(v.get(kind.number_field) or "")[:TEXT_LENGTH],
    }
    currency = reference_key(v.get("transactioncurrencyid"))
    if currency and currency != ctx.blank(Role.CURRENCY):
        currencies = ctx.name_for(Role.CURRENCY)
        coupled = ctx.state.couplings_by_crm(currencies, [currency]).get(currency)
        if coupled is None:
            raise RecordError(f"{kind.cannot}: its currency is not coupled to an ERP currency.")
        header["currencyId"] = coupled.erp_id
    if v.get("requestdeliveryby"):
        header["requestedDeliveryDate"] = str(v["requestdeliveryby"])[:10]
    for side, prefix in fields.address_sides.items():
        parts = {key: v.get(f"{side}_{key}") for key in fields.address_parts}
        if any(parts.values()):  # only when at least one field is given, as BC does
            for key, suffix in fields.address_parts.items():
                header[f"{prefix}{suffix}"] = str(parts[key] or "")
            if side == "shipto" and v.get("shipto_name"):
                header["shipToName"] = str(v["shipto_name"])
    for option in fields.options:
        value = v.get(option.crm)
        mapping = roles.find(ctx.mappings, option.role)
        if value is not None and mapping is not None:
            coupled = ctx.state.couplings_by_crm(mapping.name, [str(value)]).get(str(value))
            if coupled is not None:
                header[option.erp] = coupled.erp_id
    if v.get("discountpercentage"):
        header["paymentDiscountPercent"] = v["discountpercentage"]
    if v.get("description"):
        header["workDescription"] = str(v["description"])
    if Decimal(str(v.get("discountamount") or 0)) or Decimal(str(v.get("discountpercentage") or 0)):
        # The CRM's header discount arrives as an invoice discount of the same amount.
        header["discountAmount"] = Decimal(str(v.get("totallineitemamount") or 0)) - Decimal(
            str(v.get("totalamountlessfreight") or 0)
        )
    return header


def _customer(ctx: Context, reference: object, kind: DocumentKind) -> str:
    if not isinstance(reference, Ref) or reference.id is None:
        raise RecordError(f"{kind.cannot}: the {kind.noun} has no potential customer.")
    account_id = reference.id
    if reference.table == "contacts":
        contact = ctx.crm.get_many("contacts", [reference.id]).get(reference.id)
        parent = contact.values.get("parentcustomerid") if contact else None
        if not isinstance(parent, Ref) or parent.table != "accounts" or parent.id is None:
            raise RecordError(
                f"{kind.cannot}: the {kind.noun}'s customer does not correspond to an account."
            )
        account_id = parent.id
    elif reference.table != "accounts":
        raise RecordError(
            f"{kind.cannot}: the {kind.noun}'s customer does not correspond to an account."
        )
    account = ctx.crm.get_many("accounts", [account_id]).get(account_id)
    if account is None or account.values.get("customertypecode") != CUSTOMER_TYPE:
        raise RecordError(f"{kind.cannot}: the account is not of the type customer.")
    customers = ctx.name_for(Role.CUSTOMER)
    coupled = ctx.state.couplings_by_crm(customers, [account_id]).get(account_id)
    if coupled is None:
        raise RecordError(
            f"{kind.cannot}: there is no customer coupled to the account "
            f"{account.values.get('name')}."
        )
    return coupled.erp_id
