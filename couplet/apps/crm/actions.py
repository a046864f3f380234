"""Dataverse's unbound sales messages: WinQuote, CloseQuote, ReviseQuote, ConvertQuoteToSalesOrder.

They take Microsoft's parameter shapes (`QuoteClose` activity with a `quoteid` bind and a
`Status`; `QuoteId` and `ColumnSet`) and change state the way a plain PATCH may not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._common.errors import ODataError, bad_request, validation
from .._common.http import Reply, Request
from .._common.operations import require_privilege
from .._common.records import Tx
from .._common.types import parse_guid
from .bulk_delete import bulk_delete
from .dataverse import DataverseDialect
from .states import INVALID_STATE

# Header fields a revision or an order copies from its quote (everything but identity,
# numbering, state and the computed totals).
_COPY_SKIP = {
    "quoteid",
    "statecode",
    "statuscode",
    "revisionnumber",
    "quotenumber",
    "createdon",
    "modifiedon",
    "versionnumber",
    "_createdby_value",
    "_modifiedby_value",
    "effectivefrom",
    "effectiveto",
    "closedon",
    "totallineitemamount",
    "totallineitemdiscountamount",
    "totaldiscountamount",
    "totalamountlessfreight",
    "totaltax",
    "totalamount",
}
_LINE_SKIP = {
    "quotedetailid",
    "_quoteid_value",
    "createdon",
    "modifiedon",
    "versionnumber",
    "_createdby_value",
    "_modifiedby_value",
    "baseamount",
    "extendedamount",
}

Action = Callable[[Tx, DataverseDialect, Request], Reply]


def _quote_from_close(tx: Tx, dialect: DataverseDialect, body: dict[str, Any]) -> dict[str, Any]:
    close = body.get("QuoteClose")
    if not isinstance(close, dict):
        raise bad_request("The parameter 'QuoteClose' is missing.", target="QuoteClose")
    ref = close.get("quoteid@odata.bind")
    if not isinstance(ref, str):
        raise bad_request("QuoteClose needs 'quoteid@odata.bind'.", target="QuoteClose")
    entity, key = dialect.resolve_reference(tx, ref, "quoteid")
    if entity != "quote":
        raise bad_request("QuoteClose must refer to a quote.", target="QuoteClose")
    return tx.require("quote", key)


def _status(body: dict[str, Any], allowed: set[int], default: int) -> int:
    raw = body.get("Status", default)
    if raw == -1:
        return default
    if not isinstance(raw, int) or raw not in allowed:
        raise validation(f"{raw} is not a valid status for this message.", "Status")
    return raw


def _close(tx: Tx, quote: dict[str, Any], state: int, status: int) -> None:
    """Moves a quote to a closing state as the server does (rules bypassed on purpose)."""
    tx.update(
        "quote",
        quote["quoteid"],
        {"statecode": state, "statuscode": status, "closedon": tx.now.date()},
        internal=True,
    )


def win_quote(tx: Tx, dialect: DataverseDialect, req: Request) -> Reply:
    require_privilege(tx, tx.model.entity("quote"), "write")
    body = req.json()
    quote = _quote_from_close(tx, dialect, body)
    status = _status(body, {4}, 4)
    if quote["statecode"] != 1:
        raise ODataError(400, "The quote cannot be won because it is not active.", INVALID_STATE)
    _close(tx, quote, 2, status)
    return Reply(204)


def close_quote(tx: Tx, dialect: DataverseDialect, req: Request) -> Reply:
    require_privilege(tx, tx.model.entity("quote"), "write")
    body = req.json()
    quote = _quote_from_close(tx, dialect, body)
    status = _status(body, {5, 6, 7}, 5)
    if quote["statecode"] not in (0, 1):
        raise ODataError(400, "Only draft or active quotes can be closed.", INVALID_STATE)
    _close(tx, quote, 3, status)
    return Reply(204)


def _quote_id(body: dict[str, Any]) -> str:
    if "QuoteId" not in body:
        raise bad_request("The parameter 'QuoteId' is missing.", target="QuoteId")
    return parse_guid(body["QuoteId"], "QuoteId")


def _entity_reply(tx: Tx, dialect: DataverseDialect, req: Request, entity: str, key: str) -> Reply:
    e = tx.model.entity(entity)
    row = tx.require(entity, key)
    out = dialect.represent(e, row, None)
    return Reply(200, {"@odata.context": f"{req.base_url}$metadata#{e.entity_set}/$entity", **out})


def revise_quote(tx: Tx, dialect: DataverseDialect, req: Request) -> Reply:
    """Closes the quote as Revised and opens revision + 1 in Draft with copies of its lines."""
    require_privilege(tx, tx.model.entity("quote"), "write")
    body = req.json()
    quote = tx.require("quote", _quote_id(body))
    if quote["statecode"] not in (1, 3) or quote["statuscode"] == 7:
        raise ODataError(
            400, "Only an active or lost/canceled quote can be revised.", INVALID_STATE
        )
    _close(tx, quote, 3, 7)
    header = {k: v for k, v in quote.items() if k not in _COPY_SKIP}
    header.update(
        quotenumber=quote["quotenumber"],
        revisionnumber=(quote["revisionnumber"] or 0) + 1,
        effectivefrom=quote.get("effectivefrom"),
        effectiveto=quote.get("effectiveto"),
    )
    new = _insert_draft_quote(tx, header)
    for line in tx.find("quotedetail", _quoteid_value=quote["quoteid"]):
        copy = {k: v for k, v in line.items() if k not in _LINE_SKIP}
        tx.insert("quotedetail", {**copy, "_quoteid_value": new["quoteid"]})
    return _entity_reply(tx, dialect, req, "quote", new["quoteid"])


def _insert_draft_quote(tx: Tx, header: dict[str, Any]) -> dict[str, Any]:
    # revisionnumber is read-only for clients; the revision copy sets it as the server.
    revision = header.pop("revisionnumber")
    row = tx.insert("quote", {**header, "statecode": 0, "statuscode": 1})
    return tx.update("quote", row["quoteid"], {"revisionnumber": revision}, internal=True)


def convert_quote_to_order(tx: Tx, dialect: DataverseDialect, req: Request) -> Reply:
    """Creates a sales order from a won (or active, which is won first) quote."""
    require_privilege(tx, tx.model.entity("salesorder"), "write")
    body = req.json()
    quote = tx.require("quote", _quote_id(body))
    if quote["statecode"] == 1:
        _close(tx, quote, 2, 4)
    elif quote["statecode"] != 2:
        raise ODataError(
            400, "Only an active or won quote can be converted to a sales order.", INVALID_STATE
        )
    header = {k: v for k, v in quote.items() if k not in _COPY_SKIP and k != "quotenumber"}
    header.pop("ordernumber", None)
    header["_quoteid_value"] = quote["quoteid"]
    order = tx.insert("salesorder", {**header, "statecode": 0, "statuscode": 1})
    for line in tx.find("quotedetail", _quoteid_value=quote["quoteid"]):
        copy = {k: v for k, v in line.items() if k not in _LINE_SKIP}
        tx.insert("salesorderdetail", {**copy, "_salesorderid_value": order["salesorderid"]})
    return _entity_reply(tx, dialect, req, "salesorder", order["salesorderid"])


ACTIONS: dict[str, Action] = {
    "WinQuote": win_quote,
    "CloseQuote": close_quote,
    "ReviseQuote": revise_quote,
    "ConvertQuoteToSalesOrder": convert_quote_to_order,
    "BulkDelete": bulk_delete,
}
