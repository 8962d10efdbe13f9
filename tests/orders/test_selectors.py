"""List and detail selectors: visibility, filters, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.orders.selectors import (
    invoice_get,
    invoice_list,
    order_get,
    order_list,
    payment_list,
    subscription_list,
)
from kundenwert.orders.services import (
    invoice_create_from_order,
    order_cancel,
    payment_record,
    subscription_create,
)
from tests.orders.factories import issued_invoice, line, make_order


@pytest.fixture
def ledger(people, shop):
    anna, mia = people["anna"], people["mia"]
    orders = [make_order(anna, shop.org, line(shop.software, str(n))) for n in (1, 2, 3)]
    person_order = make_order(anna, shop.person, line(shop.book))
    order_cancel(actor=anna, order_id=orders[2].pk)
    paid = issued_invoice(mia, orders[0], payment_terms_days=0)
    payment_record(actor=mia, invoice_id=paid.pk, amount=paid.gross_total)
    overdue = issued_invoice(mia, orders[1], payment_terms_days=7)
    current = issued_invoice(mia, person_order, issue_date=dt.date.today())
    draft_order = make_order(anna, shop.org, line(shop.book, "4"))
    draft = invoice_create_from_order(actor=mia, order_id=draft_order.pk)
    for n in range(3):
        subscription_create(
            actor=anna,
            data={"organization_id": shop.org.pk, "description": f"S{n}", "amount": "10",
                  "billing_period": "month", "start_date": "2026-01-01"},
        )  # fmt: skip
    return {"orders": orders, "paid": paid, "overdue": overdue, "current": current, "draft": draft}


def ids(page) -> list[int]:
    return [row.pk for row in page.rows]


def test_invoice_filters(people, shop, ledger):
    mia = people["mia"]

    def listed(**params) -> set[int]:
        return set(ids(invoice_list(viewer=mia, params=params)))

    assert listed(status="overdue") == {ledger["overdue"].pk}
    assert listed(status="paid") == {ledger["paid"].pk}
    assert listed(status="draft,paid") == {ledger["draft"].pk, ledger["paid"].pk}
    assert listed(customer=f"p:{shop.person.pk}") == {ledger["current"].pk}
    assert listed(customer=f"o:{shop.org.pk}", status="issued") == {ledger["overdue"].pk}
    assert listed(issued_since=dt.date.today().isoformat()) == {ledger["current"].pk}
    assert listed(number=ledger["paid"].number) == {ledger["paid"].pk}
    with pytest.raises(ValidationError) as caught:
        invoice_list(viewer=mia, params={"status": "late", "issued_since": "March"})
    assert sorted(caught.value.message_dict) == ["issued_since", "status"]


def test_order_and_subscription_filters(people, shop, ledger):
    anna = people["anna"]
    assert ids(order_list(viewer=anna, params={"status": "cancelled"})) == [ledger["orders"][2].pk]
    by_number = order_list(viewer=anna, params={"number": ledger["orders"][1].number})
    assert ids(by_number) == [ledger["orders"][1].pk]
    assert len(ids(order_list(viewer=anna, params={"customer": f"o:{shop.org.pk}"}))) == 4
    assert len(ids(subscription_list(viewer=anna, params={"status": "active"}))) == 3
    assert ids(order_list(viewer=people["ben"], params={})) == []


def test_lists_and_details_take_a_fixed_number_of_queries(
    people, shop, ledger, django_assert_num_queries
):
    mia = people["mia"]
    order_list(viewer=mia, params={})  # computes and caches mia's permissions
    with django_assert_num_queries(1):
        page = order_list(viewer=mia, params={"limit": "50"})
        assert len(page.rows) == 5
        assert {o.organization.name for o in page.rows if o.organization_id} == {"Nordlicht GmbH"}
    with django_assert_num_queries(1):
        page = invoice_list(viewer=mia, params={})
        assert {r.open_balance for r in page.rows} >= {Decimal("0")}
    with django_assert_num_queries(1):
        assert len(subscription_list(viewer=mia, params={}).rows) == 3
    with django_assert_num_queries(2):
        order = order_get(viewer=mia, order_id=ledger["orders"][0].pk)
        assert len(order.line_list) == 1
    with django_assert_num_queries(2):
        invoice = invoice_get(viewer=mia, invoice_id=ledger["paid"].pk)
        assert (invoice.open_balance, invoice.paid_total) == (Decimal(0), invoice.gross_total)


def test_hidden_records_are_not_found(people, ledger):
    ben = people["ben"]
    with pytest.raises(NotFound):
        order_get(viewer=ben, order_id=ledger["orders"][0].pk)
    with pytest.raises(NotFound):
        invoice_get(viewer=ben, invoice_id=ledger["paid"].pk)
    with pytest.raises(NotFound):
        payment_list(viewer=ben, invoice_id=ledger["paid"].pk)
    assert ids(invoice_list(viewer=people["max"], params={})) == []  # marketing: no invoices
