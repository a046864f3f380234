"""Echo suppression (§2.3) in memory: which passes leave the integration's own writes out."""

from __future__ import annotations

from couplet.connectors.memory import INTEGRATION_USER
from couplet.engine.echo import applies

from .world import BI, CUSTOMER, FROM, TO, World, counts


def _plain() -> World:
    """CUSTOMER without its one-way field mappings: both passes suppress echoes."""
    w = World()
    w.change("CUSTOMER", fields=tuple(f for f in CUSTOMER.fields if f.direction is BI))
    return w


def test_rows_the_integration_wrote_are_not_read_back_either_way() -> None:
    w = _plain()
    c = w.customer("Adatum")
    a = w.account("Fabrikam")
    to_crm, from_crm = w.sync()
    assert counts(to_crm) == {"inserted": 1} and counts(from_crm) == {"inserted": 1}
    assert w.state.cursor("integration-user:crm") == INTEGRATION_USER
    assert w.state.cursor("integration-user:erp") == INTEGRATION_USER
    # Without suppression each pass would read the other's inserts back as unchanged.
    assert [counts(j) for j in w.sync()] == [{}, {}]
    # People's edits still arrive, including on rows the integration wrote.
    w.erp.edit("customers", c.id, phoneNumber="555-0100")
    w.crm.edit("accounts", a.id, telephone1="555-0101")
    assert [counts(j) for j in w.sync()] == [{"modified": 1}, {"modified": 1}]
    assert [counts(j) for j in w.sync()] == [{}, {}]


def test_one_way_fields_manual_and_full_runs_read_everything() -> None:
    w = World()  # CUSTOMER maps creditLimit ERP-to-CRM only and website CRM-to-ERP only
    assert not applies(w.mappings["CUSTOMER"], TO, True)
    assert not applies(w.mappings["CUSTOMER"], FROM, True)
    plain = _plain().mappings["CUSTOMER"]
    assert applies(plain, TO, True) and applies(plain, FROM, True)
    assert not applies(plain, TO, False)  # manual, full and targeted runs see every row
    assert not applies(w.mappings["CURRENCY"], TO, True)  # one-way mappings write one side
    w.customer("Adatum")
    w.sync()
    assert counts(w.sync()[1]) == {"unchanged": 1}
