"""Rules of particular tables that field mappings cannot say (Business Central's integration
table subscribers), applied to a page of an ERP-to-CRM pass before it is planned.

* Items and resources (§1.2 ITEM-PRODUCT, RESOURCE-PRODUCT, unit-group mode): the product's
  default unit (`defaultuomid`) is the CRM unit coupled to the item's base unit through
  ITEM UOM / RESOURCE UOM, and its unit group (`defaultuomscheduleid`) the CRM group
  coupled to the item's unit group; an uncoupled base unit is synchronized on the fly.
* Currencies (§1.2 CURRENCY): the CRM exchange rate is the ERP's latest rate, expressed as
  Dataverse keeps it - units of this currency per one unit of the CRM's base currency - and
  a new CRM currency gets the ERP currency's precision.

A rule returns extra destination values per source row, and the reason a row cannot be
transferred (the record then fails with that message).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from .context import Context
from .model import Condition, Coupling, Direction, Op, Ref, Row, TableMapping
from .on_the_fly import SyncRows, sync_erp_rows
from .transfer import Translations, reference_key

Extra = dict[str, dict[str, object]]
Refused = dict[str, str]
Rule = Callable[
    [Context, TableMapping, Sequence[Row], Mapping[str, Coupling], SyncRows],
    tuple[Extra, Refused],
]

_CHUNK = 100


def prepare(
    ctx: Context,
    mapping: TableMapping,
    direction: Direction,
    rows: Sequence[Row],
    couplings: Mapping[str, Coupling],
    translations: Translations,
    sync_rows: SyncRows,
) -> Translations:
    """The page's translations with the extra values and refusals of its table's rule."""
    rule = RULES.get((mapping.erp_table, mapping.crm_table, direction))
    if rule is None or mapping.option_mapping or not rows:
        return translations
    extra, refused = rule(ctx, mapping, rows, couplings, sync_rows)
    return dataclasses.replace(translations, extra=extra, refused=refused)


def _mapping_of(ctx: Context, erp_table: str) -> TableMapping | None:
    return next((m for m in ctx.mappings.values() if m.erp_table == erp_table), None)


def _query_in(ctx: Context, table: str, field: str, keys: Sequence[str]) -> list[Row]:
    found: list[Row] = []
    unique = sorted(set(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = tuple(unique[start : start + _CHUNK])
        for page in ctx.erp.query(table, filters=(Condition(field, Op.IN, chunk),)):
            found += page
    return found


def product_units(units_table: str, owner_field: str) -> Rule:
    """The rule for items (or resources): their default unit and unit group in the CRM."""

    def rule(
        ctx: Context,
        mapping: TableMapping,
        rows: Sequence[Row],
        couplings: Mapping[str, Coupling],
        sync_rows: SyncRows,
    ) -> tuple[Extra, Refused]:
        units_mapping = _mapping_of(ctx, units_table)
        groups_mapping = _mapping_of(ctx, "unitGroups")
        base = {r.id: str(r.values.get("baseUnitOfMeasureCode") or "") for r in rows}
        if units_mapping is None or not any(base.values()):
            return {}, {}  # legacy units: no unit-group mappings
        base_units: dict[str, Row] = {}
        for unit in _query_in(ctx, units_table, owner_field, [k for k, v in base.items() if v]):
            owner = reference_key(unit.values.get(owner_field))
            if owner is not None and unit.values.get("code") == base.get(owner):
                base_units[owner] = unit
        unit_ids = [u.id for u in base_units.values()]
        sync_erp_rows(ctx, units_mapping.name, unit_ids, sync_rows)
        units = ctx.state.couplings_by_erp(units_mapping.name, unit_ids)
        group_ids = [reference_key(u.values.get("unitGroupId")) for u in base_units.values()]
        groups = (
            ctx.state.couplings_by_erp(groups_mapping.name, [g for g in group_ids if g])
            if groups_mapping is not None
            else {}
        )
        extra: Extra = {}
        refused: Refused = {}
        for row in rows:
            base_unit = base_units.get(row.id)
            if base_unit is None:
                continue
            coupled = units.get(base_unit.id)
            if coupled is None:
                refused[row.id] = (
                    f"Base Unit of Measure {base[row.id]} must be coupled to a record in Dataverse"
                )
                continue
            values: dict[str, object] = {"defaultuomid": Ref("uoms", coupled.crm_id)}
            group = groups.get(reference_key(base_unit.values.get("unitGroupId")) or "")
            if group is not None:
                values["defaultuomscheduleid"] = Ref("uomschedules", group.crm_id)
            extra[row.id] = values
        return extra, refused

    return rule


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _lcy_code(ctx: Context) -> str:
    rows = [r for page in ctx.erp.query("companyInformation") for r in page]
    return str(rows[0].values.get("currencyCode") or "") if rows else ""


def _crm_base_code(ctx: Context) -> str:
    organizations = [r for page in ctx.crm.query("organizations") for r in page]
    base = reference_key(organizations[0].values.get("basecurrencyid")) if organizations else None
    if base is None:
        return ""
    row = ctx.crm.get_many("transactioncurrencies", [base]).get(base)
    return str(row.values.get("isocurrencycode") or "") if row else ""


def latest_rates(rates: Sequence[Row], today: dt.date) -> dict[str, Decimal]:
    """Currency id -> units of that currency per one unit of the local currency, from the
    latest exchange rate starting on or before `today` (ERP: `exchangeRateAmount` units of
    the currency cost `relationalExchangeRateAmount` units of the local currency)."""
    best: dict[str, tuple[str, Decimal]] = {}
    for rate in rates:
        currency = reference_key(rate.values.get("currencyId"))
        starting = str(rate.values.get("startingDate") or "")[:10]
        amount = _decimal(rate.values.get("exchangeRateAmount"))
        relational = _decimal(rate.values.get("relationalExchangeRateAmount"))
        if currency is None or not amount or not relational or starting > today.isoformat():
            continue
        if currency not in best or starting > best[currency][0]:
            best[currency] = (starting, amount / relational)
    return {currency: factor for currency, (_, factor) in best.items()}


def precision(currency: Row) -> int:
    """Decimal places of the currency's amounts (0.01 -> 2), within what Dataverse allows."""
    step = _decimal(currency.values.get("amountRoundingPrecision"))
    if not step:
        return 2
    exponent = step.normalize().as_tuple().exponent
    return max(0, min(4, -exponent if isinstance(exponent, int) else 2))


def _currency_rates(
    ctx: Context,
    mapping: TableMapping,
    rows: Sequence[Row],
    couplings: Mapping[str, Coupling],
    sync_rows: SyncRows,
) -> tuple[Extra, Refused]:
    lcy = _lcy_code(ctx)
    if not lcy:
        return {}, {}  # without the local currency no rate can be put in the CRM's terms
    base = _crm_base_code(ctx)
    today = ctx.clock().date()
    codes = {r.id: str(r.values.get("code") or "") for r in rows}
    base_rows = (
        [
            r
            for page in ctx.erp.query("currencies", filters=(Condition("code", Op.EQ, base),))
            for r in page
        ]
        if base and base != lcy
        else []
    )
    wanted = [r.id for r in rows] + [r.id for r in base_rows]
    factors = latest_rates(_query_in(ctx, "currencyExchangeRates", "currencyId", wanted), today)
    base_factor = factors.get(base_rows[0].id) if base_rows else Decimal(1)
    extra: Extra = {}
    refused: Refused = {}
    for row in rows:
        factor = Decimal(1) if codes[row.id] == lcy else factors.get(row.id)
        if factor is None or not base_factor:
            missing = codes[row.id] if factor is None else base
            refused[row.id] = (
                f"No exchange rate is defined for currency {missing} on {today.isoformat()}; "
                "add one in Currency Exchange Rates"
            )
            continue
        values: dict[str, object] = {"exchangerate": round(factor / base_factor, 10)}
        if row.id not in couplings:
            values["currencyprecision"] = precision(row)
        extra[row.id] = values
    return extra, refused


RULES: dict[tuple[str, str, Direction], Rule] = {
    ("items", "products", Direction.ERP_TO_CRM): product_units("itemUnitsOfMeasure", "itemId"),
    ("resources", "products", Direction.ERP_TO_CRM): product_units(
        "resourceUnitsOfMeasure", "resourceId"
    ),
    ("currencies", "transactioncurrencies", Direction.ERP_TO_CRM): _currency_rates,
}
