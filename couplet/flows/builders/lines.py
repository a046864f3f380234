"""Lines of ERP sales documents built from CRM order and quote lines (§5.2, §6).

Shared by orders and quotes: product lines only for active coupled products, write-in
products through the sales setup, long descriptions continued on attached comment lines,
freight on the sales setup's freight account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...engine import roles
from ...engine.context import Context
from ...engine.errors import RecordError
from ...engine.model import Ref, Row
from ...engine.schema import ProductKind
from ...engine.transfer import reference_key

DESCRIPTION_LENGTH = 100  # Business Central's Sales Line Description


@dataclass
class SalesSetup:
    write_in_type: str | None = None
    write_in_number: str | None = None
    freight_account: str | None = None


def document_lines(
    ctx: Context, document: str, number: object, line: Row, setup: SalesSetup, before: int
) -> list[dict[str, Any]]:
    v = line.values
    sequence = (before + 1) * 10000
    product = v.get("productid")
    quantity = Decimal(str(v.get("quantity") or 0))
    discount = quantity * Decimal(str(v.get("volumediscountamount") or 0)) + Decimal(
        str(v.get("manualdiscountamount") or 0)
    )
    base: dict[str, Any] = {
        "sequence": sequence,
        "quantity": quantity,
        "unitPrice": Decimal(str(v.get("priceperunit") or 0)),
        "discountAmount": discount,
    }
    text = str(v.get("description") or v.get("productdescription") or "")
    if not isinstance(product, Ref) or product.id is None:
        if not setup.write_in_number or not setup.write_in_type:
            raise RecordError(
                f"The {document} {number} contains a "
                "write-in product; choose the default write-in product in "
                "Sales & Receivables Setup."
            )
        base.update(lineType=setup.write_in_type, lineObjectNumber=setup.write_in_number)
    else:
        found = _product(ctx, product.id)
        base.update(lineType=found.line_type, lineObjectNumber=found.number)
        base.update(_unit(ctx, v.get("uomid"), found))
        text = text or found.name
    chunks = [text[i : i + DESCRIPTION_LENGTH] for i in range(0, len(text), DESCRIPTION_LENGTH)]
    if chunks:
        base["description"] = chunks[0]
    # The rest of a long description continues on comment lines attached to this one.
    comments = [
        {
            "sequence": sequence + i,
            "lineType": "Comment",
            "description": chunk,
            "attachedToSequence": sequence,
        }
        for i, chunk in enumerate(chunks[1:], 1)
    ]
    return [base, *comments]


@dataclass(frozen=True)
class _Product:
    kind: ProductKind  # Item | Resource, from the catalogue's `[document.products]`
    erp_id: str
    number: str
    name: str

    @property
    def line_type(self) -> str:
        return self.kind.line_type


def _unit(ctx: Context, unit: object, product: _Product) -> dict[str, Any]:
    """The ERP unit of measure of a CRM line's unit: in unit-group mode, the item's (or
    resource's) unit of measure coupled to it. Without a unit, or with legacy units, the
    ERP line keeps the base unit."""
    if not isinstance(unit, Ref) or unit.id is None:
        return {}
    unit_mapping = roles.find(ctx.mappings, product.kind.unit_role)
    if unit_mapping is None:
        return {}
    mapping, table, owner = unit_mapping.name, product.kind.unit_table, product.kind.owner_field
    noun = f"{product.line_type.lower()} {product.number}"
    coupled = ctx.state.couplings_by_crm(mapping, [unit.id]).get(unit.id)
    if coupled is None:
        crm_unit = ctx.crm.get_many("uoms", [unit.id]).get(unit.id)
        name = crm_unit.values.get("name") if crm_unit else unit.id
        raise RecordError(
            f"The unit {name} is not coupled to a unit of measure of {noun} ({mapping} couplings)."
        )
    erp_unit = ctx.erp.get_many(table, [coupled.erp_id]).get(coupled.erp_id)
    if erp_unit is None or reference_key(erp_unit.values.get(owner)) != product.erp_id:
        code = erp_unit.values.get("code") if erp_unit else coupled.erp_id
        raise RecordError(f"The unit of measure {code} does not exist for {noun}.")
    return {"unitOfMeasureCode": erp_unit.values.get("code")}


def _product(ctx: Context, product_id: str) -> _Product:
    product = ctx.crm.get_many("products", [product_id]).get(product_id)
    if product is None:
        raise RecordError(f"The product {product_id} does not exist in the CRM.")
    if product.values.get("statecode") != 0:
        raise RecordError(
            f"Status must be equal to 'Active' in product {product.values.get('productnumber')}."
        )
    code = product.values.get("producttypecode")
    kind = next((k for k in ctx.documents.product_kinds() if k.crm_product_type == code), None)
    if kind is None:
        raise RecordError(
            f"The product {product.values.get('productnumber')} has an unexpected product type."
        )
    table, line_type = kind.erp_table, kind.line_type
    found = roles.find(ctx.mappings, kind.role)
    coupled = (
        ctx.state.couplings_by_crm(found.name, [product_id]).get(product_id) if found else None
    )
    if coupled is None:
        noun = "an item" if line_type == "Item" else "a resource"
        raise RecordError(
            f"The product {product.values.get('productnumber')} is not coupled to {noun}."
        )
    erp = ctx.erp.get_many(table, [coupled.erp_id]).get(coupled.erp_id)
    if erp is None:
        raise RecordError(
            f"The {line_type.lower()} coupled to product "
            f"{product.values.get('productnumber')} does not exist."
        )
    return _Product(
        kind,
        erp.id,
        str(erp.values.get("number") or ""),
        str(product.values.get("name") or ""),
    )


def freight_lines(
    values: Mapping[str, object], setup: SalesSetup, before: int
) -> list[dict[str, Any]]:
    """The freight of a CRM document as a line on the freight account (none when zero)."""
    freight = Decimal(str(values.get("freightamount") or 0))
    if not freight:
        return []
    if not setup.freight_account:
        raise RecordError("Freight G/L Acc. No. must have a value in Sales & Receivables Setup.")
    return [
        {
            "sequence": (before + 1) * 10000,
            "lineType": "Account",
            "lineObjectNumber": setup.freight_account,
            "description": "Freight",
            "quantity": 1,
            "unitPrice": freight,
        }
    ]


def sales_setup(ctx: Context) -> SalesSetup:
    """The ERP's sales setup: the write-in product and the freight account."""
    rows = [r.values for page in ctx.erp.query("salesSetup") for r in page]
    return read_sales_setup(rows)


def read_sales_setup(rows: Sequence[Mapping[str, object]]) -> SalesSetup:
    if not rows:
        return SalesSetup()
    row = rows[0]
    return SalesSetup(
        write_in_type=_text(row.get("writeInProductType")),
        write_in_number=_text(row.get("writeInProductNumber")),
        freight_account=_text(row.get("freightAccountNumber")),
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
