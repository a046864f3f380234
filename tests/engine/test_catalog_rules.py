"""Pure tests of what the catalogue's product, unit, price and currency rules rely on:
transforms, lookups through several mappings, fixed values, implicit matches before insert,
references synchronized on the fly, child rows following their parent, exchange rates and
the item availability flow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from couplet.engine.model import (
    Condition,
    Coupling,
    FieldMapping,
    Op,
    Ref,
    Row,
    TableMapping,
    Transform,
)
from couplet.engine.roles import Role
from couplet.engine.table_rules import latest_rates, precision
from couplet.engine.transforms import apply
from couplet.flows.availability import update_availability, with_inventory_field

from .world import TO, World, counts

GROUPS = TableMapping(
    "UNIT GROUP",
    "unitGroups",
    "uomschedules",
    TO,
    role=Role.UNIT_GROUP,
    fields=(FieldMapping("code", "name", TO, use_for_matching=True),),
    only_coupled=False,
    match_before_insert=True,
)
UNITS = TableMapping(
    "ITEM UOM",
    "itemUnitsOfMeasure",
    "uoms",
    TO,
    role=Role.ITEM_UNIT,
    fields=(
        FieldMapping(
            "unitGroupId",
            "uomscheduleid",
            TO,
            lookup="UNIT GROUP",
            use_for_matching=True,
            sync_uncoupled=True,
        ),
        FieldMapping("code", "name", TO, use_for_matching=True),
    ),
    only_coupled=False,
    match_before_insert=True,
    dependencies=("UNIT GROUP",),
)
ITEMS = TableMapping(
    "ITEM-PRODUCT",
    "items",
    "products",
    TO,
    role=Role.ITEM_PRODUCT,
    fields=(
        FieldMapping("number", "productnumber", TO),
        FieldMapping(
            "inventory", "quantityonhand", TO, transform=Transform("minimum", {"value": 0})
        ),
    ),
)
RESOURCES = TableMapping(
    "RESOURCE-PRODUCT",
    "resources",
    "products",
    TO,
    role=Role.RESOURCE_PRODUCT,
    fields=(FieldMapping("number", "productnumber", TO),),
)
HEADERS = TableMapping(
    "PLHEADER-PRICE",
    "priceLists",
    "pricelevels",
    TO,
    role=Role.PRICE_LIST,
    fields=(
        FieldMapping("code", "name", TO),
        FieldMapping("currencyCode", "currency", TO, fixed=True),
        FieldMapping(
            "status",
            "statecode",
            TO,
            transform=Transform("field-lookup", {"table": {"Active": 0, "Draft": 1}}),
        ),
    ),
    child_mapping="PLLINE-PRODPRICE",
    child_field="priceListId",
)
LINES = TableMapping(
    "PLLINE-PRODPRICE",
    "priceListLines",
    "productpricelevels",
    TO,
    role=Role.PRICE_LIST_LINE,
    fields=(
        FieldMapping(
            "priceListId", "pricelevelid", TO, lookup="PLHEADER-PRICE", use_for_matching=True
        ),
        FieldMapping(
            "assetId",
            "productid",
            TO,
            lookup="ITEM-PRODUCT|RESOURCE-PRODUCT",
            use_for_matching=True,
        ),
        FieldMapping(
            "unitId", "uomid", TO, lookup="ITEM UOM", use_for_matching=True, sync_uncoupled=True
        ),
        FieldMapping("unitPrice", "amount", TO),
    ),
    erp_filter=(Condition("assetType", Op.IN, ("Item", "Resource")),),
    only_coupled=False,
    match_before_insert=True,
)


def _world() -> World:
    return World(mappings={m.name: m for m in (GROUPS, UNITS, ITEMS, RESOURCES, HEADERS, LINES)})


def _couple(w: World, mapping: str, erp: Row, crm: Row) -> None:
    w.state.save_couplings([Coupling(f"{mapping}-{erp.id}", mapping, erp.id, crm.id)])


def test_transforms_floor_negatives_and_look_up_by_text() -> None:
    assert apply(Transform("minimum", {"value": 0}), Decimal("-3")) == 0
    assert apply(Transform("minimum", {"value": 0}), 5) == 5
    assert apply(Transform("minimum", {"value": 0}), None) is None
    table = {"true": 1, "false": 0, "2": True}
    assert apply(Transform("field-lookup", {"table": table}), True) == 1
    assert apply(Transform("field-lookup", {"table": table}), False) == 0
    assert apply(Transform("field-lookup", {"table": table}), 2) is True


def test_price_lines_translate_items_or_resources_and_units_on_the_fly() -> None:
    w = _world()
    group = w.erp.add("unitGroups", code="ITEM-1000")
    box = w.erp.add("itemUnitsOfMeasure", code="BOX", unitGroupId=Ref("unitGroups", group.id))
    item, fitter = w.erp.add("items", number="1000"), w.erp.add("resources", number="R1")
    product, service = (
        w.crm.add("products", productnumber="1000"),
        w.crm.add("products", productnumber="R1"),
    )
    _couple(w, "ITEM-PRODUCT", item, product)
    _couple(w, "RESOURCE-PRODUCT", fitter, service)
    price_list = w.erp.add("priceLists", code="RETAIL", status="Active")
    level = w.crm.add("pricelevels", name="RETAIL")
    _couple(w, "PLHEADER-PRICE", price_list, level)
    # The CRM made the group's unit already: it is coupled by name, not created twice.
    schedule = w.crm.add("uomschedules", name="ITEM-1000")
    w.crm.add("uoms", name="BOX", uomscheduleid=Ref("uomschedules", schedule.id))
    lines = [
        w.erp.add(
            "priceListLines",
            priceListId=Ref("priceLists", price_list.id),
            assetType="Item",
            assetId=Ref("items", item.id),
            unitId=Ref("itemUnitsOfMeasure", box.id),
            unitPrice=5,
        ),
        w.erp.add(
            "priceListLines",
            priceListId=Ref("priceLists", price_list.id),
            assetType="Resource",
            assetId=Ref("resources", fitter.id),
            unitPrice=80,
        ),
    ]

    [job] = w.sync("PLLINE-PRODPRICE")

    assert counts(job) == {"inserted": 2}
    assert counts(w.state.jobs("UNIT GROUP")[0]) == {"coupled": 1, "unchanged": 1}
    unit = w.partner_of("ITEM UOM", box.id)
    assert unit.values["name"] == "BOX" and len(w.crm.tables["uoms"]) == 1
    first, second = (w.partner_of("PLLINE-PRODPRICE", line.id) for line in lines)
    assert first.values["productid"] == Ref("products", product.id)
    assert first.values["uomid"] == Ref("uoms", unit.id)
    assert second.values["productid"] == Ref("products", service.id)


def test_an_existing_crm_price_is_coupled_instead_of_duplicated() -> None:
    w = _world()
    item, product = w.erp.add("items", number="1000"), w.crm.add("products", productnumber="1000")
    _couple(w, "ITEM-PRODUCT", item, product)
    price_list, level = (
        w.erp.add("priceLists", code="RETAIL"),
        w.crm.add("pricelevels", name="RETAIL"),
    )
    _couple(w, "PLHEADER-PRICE", price_list, level)
    existing = w.crm.add(
        "productpricelevels",
        pricelevelid=Ref("pricelevels", level.id),
        productid=Ref("products", product.id),
        amount=1,
    )
    line = w.erp.add(
        "priceListLines",
        priceListId=Ref("priceLists", price_list.id),
        assetType="Item",
        assetId=Ref("items", item.id),
        unitPrice=9,
    )

    [job] = w.sync("PLLINE-PRODPRICE")

    assert counts(job) == {"coupled": 1, "modified": 1}
    assert w.coupling("PLLINE-PRODPRICE", erp_id=line.id).crm_id == existing.id
    assert w.crm.row("productpricelevels", existing.id).values["amount"] == 9


def test_a_fixed_value_cannot_change_and_children_follow_their_parent() -> None:
    w = _world()
    item, product = w.erp.add("items", number="1000"), w.crm.add("products", productnumber="1000")
    _couple(w, "ITEM-PRODUCT", item, product)
    price_list = w.erp.add("priceLists", code="RETAIL", currencyCode="EUR", status="Draft")
    w.erp.add(
        "priceListLines",
        priceListId=Ref("priceLists", price_list.id),
        assetType="Item",
        assetId=Ref("items", item.id),
        unitPrice=3,
    )
    w.erp.add(
        "priceListLines",
        priceListId=Ref("priceLists", price_list.id),
        assetType="Other",
        assetId=Ref("items", item.id),
        unitPrice=4,
    )  # outside the lines' filter

    w.sync("PLHEADER-PRICE", only_coupled=False)

    level = w.partner_of("PLHEADER-PRICE", price_list.id)
    assert level.values["statecode"] == 1
    [price] = w.crm.tables["productpricelevels"].values()
    assert price.values["amount"] == 3 and price.values["pricelevelid"] == Ref(
        "pricelevels", level.id
    )
    w.erp.edit("priceLists", price_list.id, currencyCode="USD", status="Active")
    [job] = w.sync("PLHEADER-PRICE")
    assert counts(job) == {"failed": 1}
    [error] = w.state.job_errors(job.id)
    assert "currency of an existing pricelevels row" in error.message
    assert w.crm.row("pricelevels", level.id).values["currency"] == "EUR"


def test_exchange_rates_and_precision() -> None:
    def rate(currency: str, starting: str, amount: int, relational: int) -> Row:
        values = {
            "currencyId": currency,
            "startingDate": starting,
            "exchangeRateAmount": amount,
            "relationalExchangeRateAmount": relational,
        }
        return Row(f"{currency}{starting}", dt.datetime(2024, 1, 1, tzinfo=dt.UTC), values)

    rates = [
        rate("eur", "2020-01-01", 100, 120),
        rate("eur", "2024-01-01", 100, 110),
        rate("eur", "2030-01-01", 1, 1),
        rate("jpy", "2024-01-01", 15000, 100),
    ]
    found = latest_rates(rates, dt.date(2025, 1, 1))
    assert found == {"eur": Decimal(100) / Decimal(110), "jpy": Decimal(150)}
    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert precision(Row("x", stamp, {"amountRoundingPrecision": Decimal("0.01")})) == 2
    assert precision(Row("x", stamp, {"amountRoundingPrecision": Decimal("1")})) == 0
    assert precision(Row("x", stamp, {})) == 2


def test_availability_pushes_stock_of_coupled_items_with_activity_since_last_run() -> None:
    w = _world()
    bike, helmet = w.erp.add("items", number="1000", inventory=0), w.erp.add("items", number="2000")
    product = w.crm.add("products", productnumber="1000", quantityonhand=0)
    _couple(w, "ITEM-PRODUCT", bike, product)
    w.clock.advance(1)
    w.erp.edit("items", bike.id, inventory=6)  # a flowfield: in the real ERP no modification
    w.erp.add("itemLedgerEntries", itemId=Ref("items", bike.id), quantity=6)
    w.erp.add("itemLedgerEntries", itemId=Ref("items", helmet.id), quantity=2)  # not coupled

    job = update_availability(w.ctx)

    assert job is not None and counts(job) == {"modified": 1}
    assert w.crm.row("products", product.id).values["quantityonhand"] == 6
    w.clock.advance(1)
    assert update_availability(w.ctx) is None  # nothing since the last run
    w.erp.edit("items", bike.id, inventory=-4)
    w.erp.add("itemLedgerEntries", itemId=Ref("items", bike.id), quantity=-10)
    job = update_availability(w.ctx)
    assert job is not None and counts(job) == {"modified": 1}
    assert w.crm.row("products", product.id).values["quantityonhand"] == 0  # never negative


def test_enabling_availability_restores_the_inventory_field() -> None:
    fields = [{"erp": "number", "crm": "productnumber"}]
    docs = [{"name": "ITEM-PRODUCT", "role": "item-product", "fields": fields}]
    [restored] = with_inventory_field(docs) or []
    assert {"erp": "inventory", "crm": "quantityonhand"}.items() <= restored["fields"][-1].items()
    assert with_inventory_field([restored]) is None
    disabled = {**restored, "fields": [{**restored["fields"][-1], "enabled": False}]}
    assert (with_inventory_field([disabled]) or [{}])[0]["fields"][0]["enabled"] is True
