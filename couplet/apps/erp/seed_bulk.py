"""Many new customers at once, each with what the ERP gives a new customer.

Creating a customer one `Tx.insert` at a time costs about ten milliseconds: its number,
its company contact (insert and read-back), its statistics row, each with its own
statements. Seeding 10,000 customers that way takes minutes. Here the same rows are made
by the same rules in a few statements per thousand: numbers are reserved from the number
series as one block, the company contact comes from `parties.company_contact`, person
contacts join it with `parties.join_company`, and the statistics row of a customer without
entries is `statistics.new_customer_row`.

The caller guarantees what the per-row rules would check: fresh numbers in an empty
company (so nothing clashes), id/code pairs given both ways, and references (salesperson,
currency, terms) that exist. Bulk-made customers are not announced to webhook
subscribers; a fresh database has none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .._common.bulk import insert_many
from .._common.records import Tx
from .blanks import complete
from .numbering import reserve_codes
from .parties import company_contact, display_name, join_company
from .statistics import new_customer_row

Row = dict[str, Any]


@dataclass
class NewCustomer:
    """A customer's values (with its chosen `id`) and the people who work there (values
    with their chosen `id`s and names)."""

    values: Row
    people: list[Row] = field(default_factory=list)  # person contacts' values, first = primary


def insert_customers(tx: Tx, company_id: str, customers: list[NewCustomer]) -> list[Row]:
    """Inserts the customers, their company and person contacts and their statistics."""
    if not customers:
        return []
    model = tx.model
    numbers = reserve_codes(tx, company_id, "CUST", len(customers))
    n_people = sum(len(c.people) for c in customers)
    contact_numbers = iter(reserve_codes(tx, company_id, "CONT", len(customers) + n_people))
    rows: list[Row] = []
    contacts: list[Row] = []
    people: list[Row] = []
    for customer, number in zip(customers, numbers, strict=True):
        values = {**customer.values, "companyId": company_id, "number": number}
        company = company_contact(values, next(contact_numbers))
        company["id"] = str(uuid.uuid4())
        for person in customer.people:
            person.update(companyId=company_id, number=next(contact_numbers), type="Person")
            person.setdefault("displayName", display_name(person))
            join_company(person, company)
            people.append(complete(model.entity("contact"), person))
        if customer.people:
            values["primaryContactId"] = customer.people[0]["id"]
            values["primaryContactNumber"] = customer.people[0]["number"]
        rows.append(complete(model.entity("customer"), values))
        contacts.append(complete(model.entity("contact"), company))
    rows = insert_many(tx, "customer", rows, after_write=False)
    insert_many(tx, "contact", contacts + people, after_write=False)
    stats = [
        complete(
            model.entity("customerStatistic"),
            {"id": str(uuid.uuid4()), **new_customer_row(row, tx.now.date())},
        )
        for row in rows
    ]
    insert_many(tx, "customerStatistic", stats, after_write=False)
    return rows
