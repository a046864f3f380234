"""A small two-system world for engine tests: customers <-> accounts with a currency lookup
through CURRENCY and payment terms through an option mapping, all in memory."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from couplet.connectors.memory import MemoryOptionPort, MemoryRecordPort
from couplet.engine.context import Context
from couplet.engine.mapping import validate_catalogue
from couplet.engine.model import (
    Condition,
    Coupling,
    Direction,
    FieldMapping,
    JobLog,
    Op,
    Ref,
    Row,
    Side,
    TableMapping,
)
from couplet.engine.roles import FullSyncPolicy, Role
from couplet.engine.runner import RunOptions, synchronize
from couplet.testing.clock import FakeClock
from couplet.testing.memory_state import MemoryStatePort

BI, TO, FROM = Direction.BIDIRECTIONAL, Direction.ERP_TO_CRM, Direction.CRM_TO_ERP

CURRENCY = TableMapping(
    name="CURRENCY",
    role=Role.CURRENCY,
    full_sync=FullSyncPolicy.MATCH_IF_SEVERAL_CRM_ROWS,
    erp_table="currencies",
    crm_table="transactioncurrencies",
    direction=TO,
    fields=(
        FieldMapping("code", "isocurrencycode", TO, use_for_matching=True),
        FieldMapping("displayName", "currencyname", TO),
    ),
    sync_after_coupling=True,
    create_new_if_no_match=True,
)

PAYMENT_TERMS = TableMapping(
    name="PAYMENT TERMS",
    role=Role.PAYMENT_TERMS,
    erp_table="paymentTerms",
    crm_table="accounts",
    direction=TO,
    option_mapping=True,
    crm_uid_field="paymenttermscode",
    fields=(FieldMapping("code", "paymenttermscode", TO, use_for_matching=True),),
)

CUSTOMER = TableMapping(
    name="CUSTOMER",
    role=Role.CUSTOMER,
    erp_table="customers",
    crm_table="accounts",
    direction=BI,
    fields=(
        FieldMapping("displayName", "name", BI, use_for_matching=True),
        FieldMapping("addressLine1", "address1_line1", BI),
        FieldMapping("email", "emailaddress1", BI, use_for_matching=True, match_priority=1),
        FieldMapping("phoneNumber", "telephone1", BI),
        FieldMapping("currencyId", "transactioncurrencyid", BI, lookup="CURRENCY"),
        FieldMapping("paymentTermsId", "paymenttermscode", BI, option="PAYMENT TERMS"),
        FieldMapping("creditLimit", "creditlimit", TO),
        FieldMapping("website", "websiteurl", FROM),
        FieldMapping(None, "customertypecode", TO, constant=3),
    ),
    crm_filter=(Condition("customertypecode", Op.EQ, 3),),
    dependencies=("CURRENCY", "PAYMENT TERMS"),
    only_coupled=False,
)
# The product mapping the document flows find by role (orders, quotes, invoice lines).
ITEM_PRODUCT = TableMapping(
    name="ITEM-PRODUCT",
    role=Role.ITEM_PRODUCT,
    erp_table="items",
    crm_table="products",
    direction=TO,
    fields=(FieldMapping("number", "productnumber", TO),),
)


@dataclass
class World:
    clock: FakeClock = field(default_factory=lambda: FakeClock(tick=dt.timedelta(milliseconds=1)))
    mappings: dict[str, TableMapping] = field(default_factory=dict)
    page_size: int = 500

    def __post_init__(self) -> None:
        self.erp = MemoryRecordPort(Side.ERP, self.clock)
        self.crm = MemoryRecordPort(Side.CRM, self.clock)
        self.state = MemoryStatePort()
        self.options = MemoryOptionPort()
        if not self.mappings:
            self.mappings = {m.name: m for m in (CURRENCY, PAYMENT_TERMS, CUSTOMER)}
        validate_catalogue(self.mappings.values())

    @property
    def ctx(self) -> Context:
        return Context(
            erp=self.erp,
            crm=self.crm,
            state=self.state,
            clock=self.clock,
            mappings=self.mappings,
            options=self.options,
            page_size=self.page_size,
        )

    def change(self, name: str, **changes: object) -> None:
        self.mappings[name] = dataclasses.replace(self.mappings[name], **changes)

    def sync(self, name: str = "CUSTOMER", **options: object) -> list[JobLog]:
        self.clock.advance(1)
        jobs = synchronize(self.ctx, name, RunOptions(**options))  # type: ignore[arg-type]
        self.clock.advance(1)
        return jobs

    def coupling(
        self, mapping: str, *, erp_id: str | None = None, crm_id: str | None = None
    ) -> Coupling:
        if erp_id is not None:
            return self.state.couplings_by_erp(mapping, [erp_id])[erp_id]
        assert crm_id is not None
        return self.state.couplings_by_crm(mapping, [crm_id])[crm_id]

    def partner_of(self, mapping: str, erp_id: str) -> Row:
        coupling = self.coupling(mapping, erp_id=erp_id)
        return self.crm.row(self.mappings[mapping].crm_table, coupling.crm_id)

    def customer(self, name: str, **values: object) -> Row:
        return self.erp.add("customers", displayName=name, **values)

    def account(self, name: str, **values: object) -> Row:
        return self.crm.add("accounts", name=name, customertypecode=3, **values)

    def euro(self) -> tuple[Row, Row]:
        """A EUR currency on both sides, coupled."""
        erp = self.erp.add("currencies", code="EUR", displayName="Euro")
        crm = self.crm.add("transactioncurrencies", isocurrencycode="EUR", currencyname="Euro")
        self.state.save_couplings([Coupling("cur-eur", "CURRENCY", erp.id, crm.id)])
        return erp, crm


def counts(job: JobLog) -> dict[str, int]:
    names = (
        "inserted",
        "modified",
        "deleted",
        "unchanged",
        "skipped",
        "failed",
        "coupled",
        "uncoupled",
    )
    return {n: getattr(job, n) for n in names if getattr(job, n)}


def eur_ref(erp_id: str) -> Ref:
    return Ref("currencies", erp_id, label="EUR")


def written(
    port: MemoryRecordPort, table: str | None = None
) -> list[tuple[str, str, str, dict[str, object]]]:
    return [w for w in port.writes if table is None or w[1] == table]


def ids(rows: Iterable[Row]) -> set[str]:
    return {r.id for r in rows}
