"""Customers, contacts and salespeople.

As with Business Central's default marketing setup, creating a customer creates its
company contact with a "Customer" business relation, and changes to the customer's name
and address flow to that contact. A person contact belongs to a company contact
(`companyNumber`) and shares its business relation and related customer (`customerId`);
writing `customerId` on a person sets its company to that customer's company contact, so an
integration can link people to customers without knowing contact numbers.
"""

from __future__ import annotations

from typing import Any

from .._common.errors import ODataError
from .._common.records import Tx
from .amounts import d
from .blanks import insert_system
from .hooks import Hooks, Row, mark
from .numbering import next_code
from .references import unknown

# customer field -> company contact field, kept in step (BC's CustCont-Update)
_SHARED = {
    "displayName": "displayName",
    "addressLine1": "addressLine1",
    "addressLine2": "addressLine2",
    "city": "city",
    "state": "state",
    "country": "country",
    "postalCode": "postalCode",
    "phoneNumber": "phoneNumber",
    "email": "email",
    "website": "website",
    "faxNumber": "faxNumber",
    "salespersonCode": "salespersonCode",
    "currencyCode": "currencyCode",
}
_NAME_PARTS = ("firstName", "middleName", "surname")


def check_salesperson(tx: Tx, company_id: str, values: Row) -> None:
    code = values.get("salespersonCode")
    if code and tx.first("salesperson", companyId=company_id, code=code) is None:
        raise unknown("salespersonCode", code, "salespeoplePurchasers")


# -- customers -------------------------------------------------------------------------


def _customer_before_insert(tx: Tx, values: Row) -> None:
    check_salesperson(tx, values["companyId"], values)
    if d(values.get("creditLimit")) < 0:
        raise ODataError(
            400, "creditLimit must not be negative.", "BadRequest", target="creditLimit"
        )
    _primary_contact(tx, values)


def _customer_before_update(tx: Tx, old: Row, changes: Row) -> None:
    check_salesperson(tx, old["companyId"], changes)
    if d(changes.get("creditLimit", old.get("creditLimit"))) < 0:
        raise ODataError(
            400, "creditLimit must not be negative.", "BadRequest", target="creditLimit"
        )
    _primary_contact(tx, changes)


def _primary_contact(tx: Tx, values: Row) -> None:
    if values.get("primaryContactId"):
        contact = tx.require("contact", values["primaryContactId"])
        values["primaryContactNumber"] = contact["number"]
    elif "primaryContactId" in values:
        values["primaryContactNumber"] = ""


def _customer_before_delete(tx: Tx, row: Row) -> None:
    if d(row.get("balanceDue")) or tx.first("customerLedgerEntry", customerId=row["id"], open=True):
        raise ODataError(
            400,
            f"You cannot delete customer {row['number']} because there are one or more "
            "outstanding ledger entries.",
            "Application_DialogException",
        )
    for header in ("salesQuote", "salesOrder", "salesInvoice"):
        doc = tx.first(header, customerId=row["id"])
        if doc is not None and not doc.get("posted"):
            raise ODataError(
                400,
                f"You cannot delete customer {row['number']} because there is at least "
                f"one outstanding sales {header[5:].lower()} ({doc['number']}) for it.",
                "Application_DialogException",
            )


def company_contact(customer: Row, number: str) -> Row:
    """The company contact a new customer gets, numbered `number`, related as "Customer"."""
    return {
        "companyId": customer["companyId"],
        "number": number,
        "type": "Company",
        **{c: customer.get(f) or "" for f, c in _SHARED.items()},
        "companyNumber": number,
        "companyName": customer["displayName"],
        "contactBusinessRelation": "Customer",
        "customerId": customer["id"],
    }


def _customer_after_write(tx: Tx, row: Row | None, old: Row | None) -> None:
    if old is None and row is not None:
        insert_system(tx, "contact", company_contact(row, next_code(tx, row["companyId"], "CONT")))
    elif row is not None and old is not None:
        changes = {c: row.get(f) for f, c in _SHARED.items() if row.get(f) != old.get(f)}
        if changes:
            for contact in tx.find("contact", customerId=row["id"], type="Company"):
                if "displayName" in changes:
                    changes["companyName"] = changes["displayName"]
                tx.update("contact", contact["id"], changes, internal=True)
                _sync_people(
                    tx, contact["number"], contact["companyId"], companyName=row["displayName"]
                )
    elif old is not None:
        for contact in tx.find("contact", customerId=old["id"]):
            tx.update(
                "contact",
                contact["id"],
                {"customerId": None, "contactBusinessRelation": "None"},
                internal=True,
            )
            _sync_people(
                tx, contact["number"], contact["companyId"], contactBusinessRelation="None"
            )
        for stats in tx.find("customerStatistic", customerId=old["id"]):
            tx.delete("customerStatistic", stats["id"], internal=True)
    mark(tx, "customers", (row or {}).get("id"))


def _sync_people(tx: Tx, company_number: str, company_id: str, **changes: Any) -> None:
    for person in tx.find(
        "contact", companyId=company_id, companyNumber=company_number, type="Person"
    ):
        if any(person.get(k) != v for k, v in changes.items()):
            tx.update("contact", person["id"], changes, internal=True)


# -- contacts --------------------------------------------------------------------------


def display_name(values: Row) -> str:
    return " ".join(str(values[p]) for p in _NAME_PARTS if values.get(p))


def _company_of_customer(tx: Tx, values: Row) -> None:
    """A person given a `customerId` joins that customer's company contact."""
    customer_id = values.get("customerId")
    if not customer_id:
        values["companyNumber"] = ""
        return
    company = tx.first(
        "contact", companyId=values["companyId"], customerId=customer_id, type="Company"
    )
    if company is None:
        raise unknown("customerId", customer_id, "customers")
    values["companyNumber"] = company["number"]


def _link_company(tx: Tx, values: Row) -> None:
    """A person's company contact gives it the company name, business relation and
    related customer."""
    if values.get("type") == "Company":
        values["companyNumber"] = values.get("number")
        values["companyName"] = values.get("displayName")
        return
    number = values.get("companyNumber")
    if not number:
        values["companyName"] = ""
        values["contactBusinessRelation"] = "None"
        values["customerId"] = None
        return
    company = tx.first("contact", companyId=values["companyId"], number=number)
    if company is None or company["type"] != "Company":
        raise unknown("companyNumber", number, "contacts (of type Company)")
    join_company(values, company)


def join_company(person: Row, company: Row) -> None:
    """A person contact takes its company contact's name, business relation and customer."""
    person["companyNumber"] = company["number"]
    person["companyName"] = company["displayName"]
    person["contactBusinessRelation"] = company["contactBusinessRelation"]
    person["customerId"] = company.get("customerId")


def _reject_company_customer(values: Row) -> None:
    """A company contact's customer comes from its business relation, never from a client."""
    if values.get("customerId") and values.get("type") == "Company":
        raise ODataError(
            400,
            "customerId can only be set on a contact of type Person; a company contact is "
            "related to its customer through the business relation.",
            "BadRequest",
            target="customerId",
        )


def _contact_before_insert(tx: Tx, values: Row) -> None:
    if not values.get("displayName"):
        values["displayName"] = display_name(values)
    if not values.get("displayName"):
        raise ODataError(
            400,
            "A contact needs a displayName or a first name or surname.",
            "BadRequest",
            target="displayName",
        )
    values["contactBusinessRelation"] = "None"
    check_salesperson(tx, values["companyId"], values)
    _reject_company_customer(values)
    if "customerId" in values and values.get("type") != "Company":
        _company_of_customer(tx, values)
    _link_company(tx, values)


def _contact_before_update(tx: Tx, old: Row, changes: Row) -> None:
    merged = {**old, **changes}
    leaving = changes.get("type", old["type"]) != old["type"] and old["type"] == "Company"
    if leaving and tx.first(
        "contact", companyId=old["companyId"], companyNumber=old["number"], type="Person"
    ):
        raise ODataError(
            400,
            "A company contact with people cannot become a person.",
            "Application_DialogException",
            target="type",
        )
    if (
        set(changes) & set(_NAME_PARTS)
        and merged["type"] == "Person"
        and ("displayName" not in changes)
    ):
        changes["displayName"] = display_name(merged) or old["displayName"]
        merged["displayName"] = changes["displayName"]
    check_salesperson(tx, old["companyId"], changes)
    if "customerId" in changes:
        _reject_company_customer(merged)
        if merged["type"] == "Company":
            del changes["customerId"]  # unchanged, or rejected above
        else:
            _company_of_customer(tx, merged)
            changes["companyNumber"] = merged["companyNumber"]
    if {"companyNumber", "type", "displayName", "number"} & set(changes):
        merged["contactBusinessRelation"] = old["contactBusinessRelation"]
        _link_company(tx, merged)
        changes.update({k: merged[k] for k in ("companyNumber", "companyName")})
        if merged["type"] == "Person":
            changes["contactBusinessRelation"] = merged["contactBusinessRelation"]
            changes["customerId"] = merged["customerId"]


def _contact_before_delete(tx: Tx, row: Row) -> None:
    if row.get("customerId") and row["type"] == "Company":
        raise ODataError(
            400,
            f"Contact {row['number']} cannot be deleted because it is related to a customer.",
            "Application_DialogException",
        )
    if row["type"] == "Company" and tx.first(
        "contact", companyId=row["companyId"], companyNumber=row["number"], type="Person"
    ):
        raise ODataError(
            400, f"Company contact {row['number']} still has people.", "Application_DialogException"
        )


def _contact_after_write(tx: Tx, row: Row | None, old: Row | None) -> None:
    if row is None or old is None or row["type"] != "Company":
        return
    changes = {}
    if row["displayName"] != old["displayName"]:
        changes["companyName"] = row["displayName"]
    if row["contactBusinessRelation"] != old["contactBusinessRelation"]:
        changes["contactBusinessRelation"] = row["contactBusinessRelation"]
    if changes:
        _sync_people(tx, old["number"], row["companyId"], **changes)


HOOKS = {
    "customer": Hooks(
        before_insert=_customer_before_insert,
        before_update=_customer_before_update,
        before_delete=_customer_before_delete,
        after_write=_customer_after_write,
    ),
    "contact": Hooks(
        before_insert=_contact_before_insert,
        before_update=_contact_before_update,
        before_delete=_contact_before_delete,
        after_write=_contact_after_write,
    ),
}
