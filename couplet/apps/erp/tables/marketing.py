"""Relationship management: opportunities (API v2.0 `opportunities`).

Besides Business Central's fields, an opportunity exposes `contactId` (paired with
`contactNumber`) and the read-only `customerId` of the contact's company, so a client can
follow references by id as everywhere else in this API.
"""

from __future__ import annotations

from ..._common.model import Field
from ..schema import CUSTOM, STANDARD, F, Pair, Table, date, decimal, entity, enum, flag, ro, text

OPPORTUNITY_STATUSES = ("Not Started", "In Progress", "Won", "Lost")

TABLES: list[Table] = [
    entity(
        "opportunity",
        "opportunities",
        [
            text("number", 20),
            ro("contactName"),
            ro("contactCompanyName"),
            text("salespersonCode", 20),
            text("description", 100),
            enum("status", *OPPORTUNITY_STATUSES),
            Field("closed", F.BOOL, read_only=True, default=False),
            Field("creationDate", F.DATE, read_only=True),
            Field("dateClosed", F.DATE, read_only=True),
            decimal("calculatedCurrentValue", read_only=True, default=0),
            decimal("chancesOfSuccessPrc", read_only=True, default=0),
            decimal("completedPrc", read_only=True, default=0),
            date("estimatedClosingDate"),
            decimal("estimatedValue", default=0),
            Field("customerId", F.GUID, read_only=True),
            flag("privacyBlocked"),
        ],
        groups=(STANDARD, CUSTOM),
        pairs=[Pair("contactId", "contactNumber", "contact", "number")],
        number_series="OP",
    ),
]
