"""Rules of opportunities: a contact is required; the contact's name, its company and the
company's customer are copied onto the opportunity; closing stamps the date."""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError
from .._common.records import Tx
from .hooks import Hooks
from .parties import check_salesperson

Row = dict[str, Any]
CLOSED = ("Won", "Lost")


def _contact(tx: Tx, values: Row) -> None:
    contact_id = values.get("contactId")
    if not contact_id:
        raise ODataError(
            400,
            "Contact No. must have a value in Opportunity.",
            "Application_FieldValidation",
            target="contactNumber",
        )
    contact = tx.first("contact", companyId=values["companyId"], id=contact_id)
    assert contact is not None  # the pair was resolved against existing contacts
    values["contactName"] = contact["displayName"]
    values["contactCompanyName"] = contact.get("companyName") or ""
    values["customerId"] = contact.get("customerId")


def _status(tx: Tx, values: Row) -> None:
    closed = values.get("status") in CLOSED
    values["closed"] = closed
    values["dateClosed"] = (values.get("dateClosed") or tx.now.date()) if closed else None


def _before_insert(tx: Tx, values: Row) -> None:
    check_salesperson(tx, values["companyId"], values)
    _contact(tx, values)
    values["creationDate"] = tx.now.date()
    _status(tx, values)


def _before_update(tx: Tx, old: Row, changes: Row) -> None:
    check_salesperson(tx, old["companyId"], changes)
    merged = {**old, **changes}
    if {"contactId", "contactNumber"} & set(changes):
        _contact(tx, merged)
        for name in ("contactName", "contactCompanyName", "customerId"):
            changes[name] = merged[name]
    if "status" in changes:
        if old["status"] in CLOSED and changes["status"] != old["status"]:
            raise ODataError(
                400,
                f"Opportunity {old['number']} is closed; its status cannot change.",
                "Application_DialogException",
                target="status",
            )
        _status(tx, merged)
        changes.update(closed=merged["closed"], dateClosed=merged["dateClosed"])


HOOKS = {"opportunity": Hooks(before_insert=_before_insert, before_update=_before_update)}
