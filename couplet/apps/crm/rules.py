"""The CRM's server-side rules, run by every write (docs/behaviour.md §9, §5-§7).

Derived names, owners, document numbers, state/status validation, which documents may be
edited in which state, pricing of lines and headers, unit groups' base units and the
uniqueness of price-list items.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import sqlalchemy as sa

from .._common.errors import ODataError, validation
from .._common.model import EntityDef
from .._common.records import Tx, next_number
from .options import OptionSets
from .schema import Table
from .states import INVALID_STATE, READ_ONLY_MESSAGE, apply_state_on_create, apply_state_on_update
from .totals import HEADER_INPUTS, HEADERS, LINES, line_amounts, recompute_header

NUMBER_PREFIX = {
    "quote": ("quotenumber", "QUO"),
    "salesorder": ("ordernumber", "ORD"),
    "invoice": ("invoicenumber", "INV"),
}
STATE_FIELDS = {"statecode", "statuscode"}
# Fields the back office may still stamp on a submitted order (the integration writes the
# last back-office submit date while the order stays submitted).
SUBMITTED_ORDER_WRITABLE = STATE_FIELDS | {"lastbackofficesubmit"}


def _document_number(tx: Tx, prefix: str) -> str:
    n = next_number(tx.conn, tx.model, prefix) + 1000
    tail = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))
    return f"{prefix}-{n:05d}-{tail}"


class CrmRules:
    def __init__(self, tables: dict[str, Table], options: OptionSets) -> None:
        self.tables = tables
        self.options = options

    # -- create ---------------------------------------------------------------------

    def before_insert(self, tx: Tx, entity: EntityDef, values: dict[str, Any]) -> None:
        spec = self.tables[entity.name]
        name = entity.name
        apply_state_on_create(spec, values)
        self.options.check(values)
        if spec.user_owned and values.get("_ownerid_value") is None:
            values["_ownerid_value"], values["_ownerid_type"] = tx.principal.id, "systemuser"
        if name in ("systemuser", "contact"):
            values["fullname"] = _fullname(values)
        if name == "transactioncurrency" and not values.get("exchangerate"):
            raise validation("The exchange rate of a currency must not be zero.", "exchangerate")
        if name in NUMBER_PREFIX:
            field, prefix = NUMBER_PREFIX[name]
            if not values.get(field):
                values[field] = _document_number(tx, prefix)
            if name in ("quote", "salesorder") and values["statecode"] != 0:
                raise ODataError(
                    400,
                    f"A new {name} must be created in its first state "
                    "(Draft or Active); use the messages to change state.",
                    INVALID_STATE,
                    target="statecode",
                )
        if name == "productpricelevel":
            self._check_price_list_item(tx, values, None)
            # Dataverse gives a price list item the currency of its price list.
            level = tx.get("pricelevel", values["_pricelevelid_value"])
            if level is not None and not values.get("_transactioncurrencyid_value"):
                values["_transactioncurrencyid_value"] = level["_transactioncurrencyid_value"]
        if name == "annotation":
            values["objecttypecode"] = values.get("_objectid_type")
        if name in LINES:
            self._before_line_write(tx, entity, values, None)

    # -- update ---------------------------------------------------------------------

    def before_update(
        self, tx: Tx, entity: EntityDef, old: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        spec = self.tables[entity.name]
        name = entity.name
        self._check_editable(name, old, changes)
        self.options.check(changes)
        apply_state_on_update(spec, old, changes)
        if name in ("systemuser", "contact") and {"firstname", "lastname", "middlename"} & set(
            changes
        ):
            changes["fullname"] = _fullname({**old, **changes})
        if name == "salesorder":
            # Dataverse's order number is valid for create only: an update leaves it alone.
            changes.pop("ordernumber", None)
            # The first submit is dated; submitting again (after the integration made the
            # order Active to write to it) keeps that date.
            if (
                changes.get("statecode") == 1
                and old["statecode"] != 1
                and not old.get("submitdate")
            ):
                changes.setdefault("submitdate", tx.now.date())
        if name == "productpricelevel":
            self._check_price_list_item(tx, {**old, **changes}, old["productpricelevelid"])
        if name == "post":
            raise ODataError(405, "Posts cannot be updated.", "0x80040265")
        if name in LINES:
            self._before_line_write(tx, entity, changes, old)

    @staticmethod
    def _check_editable(name: str, old: dict[str, Any], changes: dict[str, Any]) -> None:
        """Submitted orders, non-draft quotes and paid/canceled invoices are read-only."""
        touched = set(changes) - STATE_FIELDS
        new_state = changes.get("statecode", old.get("statecode"))
        if (
            name == "salesorder"
            and touched - SUBMITTED_ORDER_WRITABLE
            and old["statecode"] != 0
            and new_state != 0
        ):
            raise ODataError(400, "CRM Sales order is not editable.", INVALID_STATE)
        if name == "quote" and touched and old["statecode"] != 0:
            raise ODataError(
                400, "The quote cannot be edited because it is not in Draft state.", INVALID_STATE
            )
        if name == "invoice" and touched and old["statecode"] in (2, 3):
            raise ODataError(400, READ_ONLY_MESSAGE, INVALID_STATE)

    # -- delete ---------------------------------------------------------------------

    def before_delete(self, tx: Tx, entity: EntityDef, row: dict[str, Any]) -> None:
        name = entity.name
        if name in LINES:
            header_entity, column = LINES[name]
            header = tx.get(header_entity, row[column])
            if header is not None:
                self._check_line_parent(header_entity, header)
        if name == "systemuser":
            raise ODataError(
                405, "Users cannot be deleted; disable them (isdisabled) instead.", "0x80040265"
            )
        for child, column in _cascades(name):
            for kid in tx.find(child, **{column: row[entity.key]}):
                tx.delete(child, kid[f"{child}id"], internal=True)

    # -- after every write ------------------------------------------------------------

    def after_write(
        self, tx: Tx, entity: EntityDef, row: dict[str, Any] | None, old: dict[str, Any] | None
    ) -> None:
        name = entity.name
        if name in LINES:
            header_entity, column = LINES[name]
            for header_id in {r[column] for r in (row, old) if r is not None and r.get(column)}:
                recompute_header(tx, header_entity, header_id)
        elif name in HEADERS and row is not None:
            changed = old is None or any(old.get(k) != row.get(k) for k in HEADER_INPUTS)
            if changed:
                recompute_header(tx, name, row[entity.key])
        if name == "uomschedule" and row is not None and old is None:
            tx.insert(
                "uom",
                {
                    "name": row.get("baseuomname") or "Primary Unit",
                    "quantity": 1,
                    "_uomscheduleid_value": row["uomscheduleid"],
                    "isschedulebaseuom": True,
                },
                internal=True,
            )

    # -- helpers ----------------------------------------------------------------------

    def _before_line_write(
        self, tx: Tx, entity: EntityDef, values: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        header_entity, column = LINES[entity.name]
        merged = {**(old or {}), **values}
        header = tx.get(header_entity, merged[column]) if merged.get(column) else None
        if header is None:
            raise validation(
                f"The {header_entity} of the line is missing or does not exist.", column
            )
        self._check_line_parent(header_entity, header)
        if old is None:
            values.setdefault(
                "_transactioncurrencyid_value", header.get("_transactioncurrencyid_value")
            )
            if values.get("sequencenumber") is None:
                values["sequencenumber"] = len(tx.find(entity.name, **{column: merged[column]})) + 1
            if values.get("_productid_value") is None and not values.get("productdescription"):
                raise validation(
                    "A line needs a product or a write-in product description.",
                    "productdescription",
                )
            values["isproductoverridden"] = values.get("_productid_value") is None
            if values.get("priceperunit") is None and values.get("_productid_value"):
                values["priceperunit"] = _list_price(tx, header, merged)
                merged["priceperunit"] = values["priceperunit"]
        values.update(line_amounts(merged))

    @staticmethod
    def _check_line_parent(header_entity: str, header: dict[str, Any]) -> None:
        state = header["statecode"]
        if header_entity == "quote" and state != 0:
            raise ODataError(
                400, "The quote cannot be edited because it is not in Draft state.", INVALID_STATE
            )
        if header_entity == "salesorder" and state != 0:
            raise ODataError(400, "CRM Sales order is not editable.", INVALID_STATE)
        if header_entity == "invoice" and state != 0:
            raise ODataError(400, READ_ONLY_MESSAGE, INVALID_STATE)

    @staticmethod
    def _check_price_list_item(tx: Tx, values: dict[str, Any], own_id: str | None) -> None:
        if not values.get("_productid_value"):
            raise validation("The product id is missing.", "productid")
        if not values.get("_pricelevelid_value"):
            raise validation("The price level id is missing.", "pricelevelid")
        table = tx.model.table("productpricelevel")
        query = sa.select(table.c.productpricelevelid).where(
            table.c._pricelevelid_value == values["_pricelevelid_value"],
            table.c._productid_value == values["_productid_value"],
            table.c._uomid_value.is_(None)
            if values.get("_uomid_value") is None
            else table.c._uomid_value == values["_uomid_value"],
        )
        clash = [r for (r,) in tx.conn.execute(query) if r != own_id]
        if clash:
            raise ODataError(
                400,
                "This product and unit combination has a price for this price list.",
                "0x80040237",
            )


# Rows owned by another row and deleted with it (Dataverse's parental relationships);
# other references to a deleted row are cleared by the shared layer ("remove link").
_OWNED = {
    "uomschedule": [("uom", "_uomscheduleid_value")],
    "pricelevel": [("productpricelevel", "_pricelevelid_value")],
    "product": [("productpricelevel", "_productid_value")],
    "account": [("nav_accountstatistics", "_nav_accountid_value")],
}
_ACTIVITY_TARGETS = {"account", "contact", "opportunity", "quote", "salesorder", "invoice"}


def _cascades(entity: str) -> list[tuple[str, str]]:
    owned = list(_OWNED.get(entity, []))
    if entity in HEADERS:
        owned.append(HEADERS[entity])
    if entity in _ACTIVITY_TARGETS:
        owned.append(("post", "_regardingobjectid_value"))
    if entity in _ACTIVITY_TARGETS | {"product"}:
        owned.append(("annotation", "_objectid_value"))
    return owned


def _fullname(values: dict[str, Any]) -> str:
    parts = [values.get("firstname"), values.get("middlename"), values.get("lastname")]
    return " ".join(p for p in parts if p)


def _list_price(tx: Tx, header: dict[str, Any], line: dict[str, Any]) -> Any:
    """The price of the product on the header's price list (and unit), else its list price."""
    if header.get("_pricelevelid_value"):
        query: dict[str, Any] = {
            "_pricelevelid_value": header["_pricelevelid_value"],
            "_productid_value": line["_productid_value"],
        }
        if line.get("_uomid_value"):
            query["_uomid_value"] = line["_uomid_value"]
        item = tx.first("productpricelevel", **query)
        if item is not None and item.get("amount") is not None:
            return item["amount"]
    product = tx.get("product", line["_productid_value"])
    return product.get("price") if product else None
