"""Unit prices for sales lines: the best active price-list line that applies to the
customer (all customers, its price group, or the customer itself), else the item's or
resource's own price - converted into the document's currency."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from .._common.records import Tx
from .amounts import d, r2
from .hooks import Row


def unit_price(
    tx: Tx, header: Row, asset_type: str, asset: Row, quantity: Decimal, unit: str
) -> Decimal:
    listed = _price_list_price(tx, header, asset_type, asset, quantity, unit)
    if listed is not None:
        return listed
    per_unit = _quantity_per_unit(tx, asset_type, asset, unit)
    lcy = d(asset.get("unitPrice")) * per_unit
    factor = d(header.get("currencyFactor")) or Decimal(1)
    return r2(lcy * factor)


def _quantity_per_unit(tx: Tx, asset_type: str, asset: Row, unit: str) -> Decimal:
    if not unit or unit == asset.get("baseUnitOfMeasureCode"):
        return Decimal(1)
    entity = "itemUnitOfMeasure" if asset_type == "Item" else "resourceUnitOfMeasure"
    key = "itemId" if asset_type == "Item" else "resourceId"
    row = tx.first(entity, **{key: asset["id"], "code": unit})
    return d(row["quantityPerUnitOfMeasure"]) if row else Decimal(1)


def _price_list_price(
    tx: Tx, header: Row, asset_type: str, asset: Row, quantity: Decimal, unit: str
) -> Decimal | None:
    customer = tx.get("customer", header["customerId"]) if header.get("customerId") else None
    lists, lines = tx.model.table("priceList"), tx.model.table("priceListLine")
    sources = [lists.c.sourceType == "All Customers"]
    if customer is not None:
        sources.append(
            sa.and_(lists.c.sourceType == "Customer", lists.c.sourceNumber == customer["number"])
        )
        if customer.get("customerPriceGroupCode"):
            sources.append(
                sa.and_(
                    lists.c.sourceType == "Customer Price Group",
                    lists.c.sourceNumber == customer["customerPriceGroupCode"],
                )
            )
    day = header.get("documentDate") or tx.now.date()
    query = (
        sa.select(sa.func.min(lines.c.unitPrice))
        .select_from(lines.join(lists, lists.c.id == lines.c.priceListId))
        .where(
            lists.c.companyId == header["companyId"],
            lists.c.status == "Active",
            lists.c.priceType == "Sale",
            lists.c.amountType != "Discount",
            sa.or_(*sources),
            sa.func.coalesce(lists.c.currencyCode, "") == (header.get("currencyCode") or ""),
            lines.c.assetType == asset_type,
            lines.c.assetNumber == asset["number"],
            lines.c.minimumQuantity <= quantity,
            sa.or_(lines.c.unitOfMeasureCode == "", lines.c.unitOfMeasureCode == unit),
            sa.or_(lines.c.startingDate.is_(None), lines.c.startingDate <= day),
            sa.or_(lines.c.endingDate.is_(None), lines.c.endingDate >= day),
            sa.or_(lists.c.startingDate.is_(None), lists.c.startingDate <= day),
            sa.or_(lists.c.endingDate.is_(None), lists.c.endingDate >= day),
        )
    )
    price = tx.conn.execute(query).scalar()
    return d(price) if price is not None else None
