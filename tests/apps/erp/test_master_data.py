"""Master data with Business Central semantics: customers and their company contacts,
contacts, salespeople, items and resources with unit groups, codes and price lists."""

from __future__ import annotations

from tests.helpers import ErpClient

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


def test_customer_creates_company_contact_with_business_relation(erp: ErpClient) -> None:
    erp.create("salespeoplePurchasers", {"code": "JO", "displayName": "John Roberts"})
    customer = erp.create(
        "customers",
        {
            "displayName": "Trey Research",
            "addressLine1": "153 Thomas Drive",
            "city": "Chicago",
            "salespersonCode": "JO",
            "paymentTermsCode": "14 DAYS",
            "shipmentMethodCode": "EXW",
            "creditLimit": 5000,
        },
    )
    assert customer["paymentTermsId"] and customer["shipmentMethodId"]
    contacts = erp.rows("contacts")
    assert len(contacts) == 1
    company = contacts[0]
    assert company["type"] == "Company" and company["displayName"] == "Trey Research"
    assert company["contactBusinessRelation"] == "Customer"
    assert company["companyNumber"] == company["number"]
    # Name and address changes flow to the company contact.
    erp.patch(f"customers({customer['id']})", {"displayName": "Trey Research Inc."})
    assert erp.rows("contacts")[0]["displayName"] == "Trey Research Inc."
    person = erp.create(
        "contacts",
        {
            "type": "Person",
            "firstName": "Ann",
            "surname": "Beebe",
            "companyNumber": company["number"],
        },
    )
    assert person["displayName"] == "Ann Beebe"
    assert person["companyName"] == "Trey Research Inc."
    assert person["contactBusinessRelation"] == "Customer"
    erp.patch(f"customers({customer['id']})", {"primaryContactId": person["id"]})
    assert erp.row(f"customers({customer['id']})")["primaryContactNumber"] == person["number"]
    r = erp.post("customers", {"displayName": "X", "salespersonCode": "NOPE"})
    assert r.status_code == 400 and "salespersonCode" in r.text


def test_person_contact_needs_a_company_contact(erp: ErpClient) -> None:
    r = erp.post("contacts", {"type": "Person", "surname": "Lonely", "companyNumber": "CT999"})
    assert r.status_code == 400 and "companyNumber" in r.text
    loner = erp.create("contacts", {"type": "Person", "firstName": "Sam", "surname": "Solo"})
    assert loner["contactBusinessRelation"] == "None" and loner["companyNumber"] == ""


def test_person_contact_customer_id_links_it_to_the_customers_company(erp: ErpClient) -> None:
    trey = erp.create("customers", {"displayName": "Trey Research"})
    coho = erp.create("customers", {"displayName": "Coho Winery"})
    company = {c["customerId"]: c for c in erp.rows("contacts")}
    assert set(company) == {trey["id"], coho["id"]}
    # Reading: a person shares the related customer of its company contact.
    ann = erp.create(
        "contacts",
        {"type": "Person", "surname": "Beebe", "companyNumber": company[trey["id"]]["number"]},
    )
    assert ann["customerId"] == trey["id"]
    # Writing customerId moves the person to that customer's company contact.
    bob = erp.create("contacts", {"type": "Person", "surname": "Lee", "customerId": coho["id"]})
    assert bob["companyNumber"] == company[coho["id"]]["number"]
    assert bob["companyName"] == "Coho Winery" and bob["contactBusinessRelation"] == "Customer"
    assert erp.patch(f"contacts({ann['id']})", {"customerId": coho["id"]}).status_code == 200
    moved = erp.row(f"contacts({ann['id']})")
    assert (moved["customerId"], moved["companyName"]) == (coho["id"], "Coho Winery")
    assert erp.patch(f"contacts({ann['id']})", {"customerId": None}).status_code == 200
    alone = erp.row(f"contacts({ann['id']})")
    assert (alone["customerId"], alone["companyNumber"]) == (EMPTY_GUID, "")
    assert alone["contactBusinessRelation"] == "None"
    # Moving by company number keeps customerId in step; unknown customers are refused.
    erp.patch(f"contacts({ann['id']})", {"companyNumber": company[trey["id"]]["number"]})
    assert erp.row(f"contacts({ann['id']})")["customerId"] == trey["id"]
    r = erp.patch(f"contacts({ann['id']})", {"customerId": "11111111-1111-1111-1111-111111111111"})
    assert r.status_code == 400 and "customerId" in r.text
    r = erp.patch(f"contacts({company[trey['id']]['id']})", {"customerId": coho["id"]})
    assert r.status_code == 400 and "customerId" in r.text
    # A person may be deleted; its company contact may not while related to a customer.
    assert erp.delete(f"contacts({bob['id']})").status_code == 204


def test_deleting_a_customer_keeps_its_contact_without_relation(erp: ErpClient) -> None:
    customer = erp.create("customers", {"displayName": "Gone Ltd"})
    assert erp.delete(f"customers({customer['id']})").status_code == 204
    contact = erp.rows("contacts")[0]
    assert contact["contactBusinessRelation"] == "None"


def test_items_units_and_unit_groups(erp: ErpClient) -> None:
    item = erp.create(
        "items",
        {
            "displayName": "ATHENS Desk",
            "unitPrice": 649.4,
            "unitCost": 506.6,
            "baseUnitOfMeasureCode": "PCS",
        },
    )
    assert item["number"] == "I00001" and item["type"] == "Inventory"
    assert item["inventory"] == 0 and item["baseUnitOfMeasureId"]
    groups = erp.rows("unitGroups", custom=True)
    assert [(g["code"], g["sourceType"], g["sourceNumber"]) for g in groups] == [
        ("ITEM-I00001", "Item", "I00001")
    ]
    units = erp.rows("itemUnitsOfMeasure", custom=True)
    assert [(u["itemNumber"], u["code"], u["quantityPerUnitOfMeasure"]) for u in units] == [
        ("I00001", "PCS", 1)
    ]
    box = erp.create(
        "itemUnitsOfMeasure",
        {"itemId": item["id"], "code": "BOX", "quantityPerUnitOfMeasure": 12},
        custom=True,
    )
    assert box["unitOfMeasureId"]
    # Every unit names its item's unit group; the group names the item's base unit.
    assert {u["unitGroupId"] for u in erp.rows("itemUnitsOfMeasure", custom=True)} == {
        groups[0]["id"]
    }
    assert groups[0]["baseUnitOfMeasureCode"] == "PCS"
    r = erp.post("itemUnitsOfMeasure", {"itemId": item["id"], "code": "BOX"}, custom=True)
    assert r.status_code == 400
    # Unique per item, not per company: another item may come in boxes too.
    chair = erp.create("items", {"displayName": "Chair", "baseUnitOfMeasureCode": "PCS"})
    erp.create(
        "itemUnitsOfMeasure",
        {"itemId": chair["id"], "code": "BOX", "quantityPerUnitOfMeasure": 6},
        custom=True,
    )
    r = erp.post("items", {"displayName": "Bad", "type": "Gadget"})
    assert r.status_code == 400 and "type" in r.text
    r = erp.post("items", {"displayName": "Bad", "baseUnitOfMeasureCode": "LIGHTYEAR"})
    assert r.status_code == 400 and "baseUnitOfMeasureCode" in r.text
    resource = erp.create(
        "resources",
        {"displayName": "Installer", "unitPrice": 80, "baseUnitOfMeasureCode": "HOUR"},
        custom=True,
    )
    assert resource["number"] == "R0001"
    assert erp.rows("resourceUnitsOfMeasure", custom=True)[0]["code"] == "HOUR"


def test_code_tables(erp: ErpClient) -> None:
    assert {c["code"] for c in erp.rows("currencies")} == {"EUR", "GBP"}
    assert {p["code"] for p in erp.rows("paymentTerms")} >= {"14 DAYS", "30 DAYS", "CM"}
    assert {s["code"] for s in erp.rows("shipmentMethods")} >= {"EXW", "FOB"}
    assert {u["code"] for u in erp.rows("unitsOfMeasure")} >= {"PCS", "HOUR", "BOX"}
    assert {a["code"] for a in erp.rows("shippingAgents", custom=True)} >= {"DHL", "UPS"}
    accounts = {a["number"]: a for a in erp.rows("accounts")}
    assert accounts["40400"]["displayName"] == "Freight Fees for Goods"
    nok = erp.create(
        "currencies", {"code": "NOK", "displayName": "Norwegian Krone", "symbol": "kr"}
    )
    erp.create(
        "currencyExchangeRates",
        {
            "currencyCode": "NOK",
            "startingDate": "2024-01-01",
            "exchangeRateAmount": 10.5,
            "relationalExchangeRateAmount": 1,
        },
        custom=True,
    )
    rates = erp.rows(
        "currencyExchangeRates", custom=True, **{"$filter": f"currencyId eq {nok['id']}"}
    )
    assert rates[0]["currencyCode"] == "NOK" and rates[0]["exchangeRateAmount"] == 10.5
    sp = erp.create(
        "salespeoplePurchasers",
        {"code": "PS", "displayName": "Peter Saddow", "commisionPercent": 5},
    )
    assert sp["commisionPercent"] == 5 and sp["blocked"] is False
    group = erp.create("customerPriceGroups", {"code": "RETAIL"}, custom=True)
    assert group["allowInvoiceDiscount"] is True


def test_price_lists(erp: ErpClient) -> None:
    erp.create(
        "items",
        {"number": "1000", "displayName": "Bike", "unitPrice": 100, "baseUnitOfMeasureCode": "PCS"},
    )
    plist = erp.create(
        "priceLists", {"code": "S00001", "displayName": "Retail", "status": "Active"}, custom=True
    )
    line = erp.create(
        "priceListLines",
        {"priceListId": plist["id"], "assetType": "Item", "assetNumber": "1000", "unitPrice": 90},
        custom=True,
    )
    assert line["priceListCode"] == "S00001" and line["assetId"]
    # Without a unit code the price is for the item's base unit.
    (base,) = erp.rows("itemUnitsOfMeasure", custom=True)
    assert line["assetUnitOfMeasureId"] == base["id"]
    r = erp.post("priceListLines", {"priceListId": plist["id"], "assetNumber": "NOPE"}, custom=True)
    assert r.status_code == 400 and "assetNumber" in r.text


def test_sales_setup_and_notes(erp: ErpClient) -> None:
    setup = erp.rows("salesSetup", custom=True)[0]
    r = erp.patch(f"salesSetup({setup['id']})", {"writeInProductNumber": "NOPE"}, custom=True)
    assert r.status_code == 400 and "writeInProductNumber" in r.text
    r = erp.patch(f"salesSetup({setup['id']})", {"freightAccountNumber": "99999"}, custom=True)
    assert r.status_code == 400 and "freightAccountNumber" in r.text
    erp.create("resources", {"number": "WRITEIN", "displayName": "Write-in"}, custom=True)
    r = erp.patch(
        f"salesSetup({setup['id']})",
        {
            "writeInProductType": "Resource",
            "writeInProductNumber": "WRITEIN",
            "freightAccountNumber": "",
        },
        custom=True,
    )
    assert r.status_code == 200 and r.json()["writeInProductNumber"] == "WRITEIN"
    assert erp.delete(f"salesSetup({setup['id']})", custom=True).status_code == 405
    customer = erp.create("customers", {"displayName": "Noted"})
    note = erp.create(
        "notes",
        {
            "parentType": "Customer",
            "parentId": customer["id"],
            "title": "Call back",
            "note": "Asked for a discount.",
        },
        custom=True,
    )
    assert note["createdBy"] and note["createdDateTime"] > "2000"
    r = erp.post("notes", {"parentType": "Sales Order", "parentId": customer["id"]}, custom=True)
    assert r.status_code == 400 and "parentId" in r.text


def test_salespeople_without_a_code_are_numbered(erp: ErpClient) -> None:
    first = erp.create("salespeoplePurchasers", {"displayName": "From the CRM"})
    second = erp.create("salespeoplePurchasers", {"displayName": "Another"})
    assert first["code"] == "SP NO. 00001" and second["code"] == "SP NO. 00002"
