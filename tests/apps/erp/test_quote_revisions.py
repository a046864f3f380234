"""What quote processing needs from the ERP (§6): a released quote keeps its lines until it
is reopened, a revision replaces lines and notes of the same quote after archiving it, and
an order can name the quote it came from."""

from __future__ import annotations

from tests.helpers import ErpClient


def test_revising_a_released_quote_and_linking_an_order(erp: ErpClient) -> None:
    customer = erp.create("customers", {"displayName": "Quoted"})
    item = erp.create("items", {"displayName": "Desk", "unitPrice": 200})
    quote = erp.create(
        "salesQuotes",
        {
            "customerId": customer["id"],
            "yourReference": "QUO-01001-CRM",
            "salesQuoteLines": [
                {"itemId": item["id"], "quantity": 2},
                {"description": "Assembly", "attachedToSequence": 10000},
            ],
        },
    )
    qid = quote["id"]
    note = erp.create(
        "notes", {"parentType": "Sales Quote", "parentId": qid, "title": "Call"}, custom=True
    )
    assert erp.action(f"salesQuotes({qid})/Microsoft.NAV.release", custom=True).status_code == 204
    lines = erp.rows(
        "salesQuoteLines", **{"$filter": f"documentId eq {qid}", "$orderby": "sequence"}
    )
    # Released: the lines are fixed until the quote is reopened.
    r = erp.delete(f"salesQuoteLines({lines[0]['id']})")
    assert r.status_code == 400 and "reopen it first" in r.json()["error"]["message"]
    assert erp.action(f"salesQuotes({qid})/Microsoft.NAV.archive", custom=True).status_code == 204
    assert erp.action(f"salesQuotes({qid})/Microsoft.NAV.reopen", custom=True).status_code == 204
    # Deleting a line takes its attached comment line with it.
    assert erp.delete(f"salesQuoteLines({lines[0]['id']})").status_code == 204
    assert erp.rows("salesQuoteLines", **{"$filter": f"documentId eq {qid}"}) == []
    notes = erp.rows("notes", custom=True, **{"$filter": f"parentId eq {qid}"})
    assert [n["id"] for n in notes] == [note["id"]]
    assert erp.delete(f"notes({note['id']})", custom=True).status_code == 204
    r = erp.patch(
        f"salesQuotes({qid})", {"validUntilDate": "2030-06-30", "externalDocumentNumber": "Revised"}
    )
    assert r.status_code == 200, r.text
    erp.create(
        "salesQuoteLines",
        {"documentId": qid, "sequence": 10000, "itemId": item["id"], "quantity": 5},
    )
    revised = erp.row(f"salesQuotes({qid})")
    assert revised["totalAmountExcludingTax"] == 1000 and revised["status"] == "Draft"
    [archive] = erp.rows("salesQuoteArchives", custom=True, **{"$expand": "salesQuoteArchiveLines"})
    assert archive["status"] == "Open" and archive["totalAmountExcludingTax"] == 400
    assert len(archive["salesQuoteArchiveLines"]) == 2
    # An order made from the quote elsewhere names it.
    order = erp.create("salesOrders", {"customerId": customer["id"]})
    r = erp.patch(f"salesOrders({order['id']})", {"quoteNumber": quote["number"]})
    assert r.status_code == 200 and r.json()["quoteNumber"] == quote["number"]
