"""Subscriptions: create, change, cancel, renew, and monthly recurring revenue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.services import exchange_rate_set, product_create
from kundenwert.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from kundenwert.orders.models import Subscription
from kundenwert.orders.selectors import mrr, subscription_list
from kundenwert.orders.services import (
    add_months,
    subscription_cancel,
    subscription_create,
    subscription_renew,
    subscription_update,
)
from tests.catalog.factories import priced
from tests.core.state import one_event
from tests.orders.factories import orders_unchanged

Verb = AuditEvent.Verb
START = dt.date(2026, 1, 31)


@pytest.fixture
def hosting(people, shop):
    """A recurring product: hosting, 30.00 EUR a month on the default list."""
    item = product_create(
        actor=people["mia"],
        data={"sku": "HOST", "name_en": "Hosting", "is_recurring": True, "billing_period": "month"},
    )
    priced(people["mia"], shop.default_list, item, "30.00")
    return item


def subscribe(actor, shop, **data) -> Subscription:
    data = {"organization_id": shop.org.pk, "start_date": START, **data}
    return subscription_create(actor=actor, data=data)


def test_create_takes_name_period_and_price_from_a_recurring_product(people, shop, hosting):
    anna = people["anna"]
    with one_event(Verb.CREATE) as watch:
        created = subscribe(anna, shop, product_id=hosting.pk)
    stored = Subscription.objects.get(pk=created.pk)
    assert (stored.description, stored.billing_period, stored.amount, stored.currency) == (
        "Hosting",
        "month",
        Decimal("30.00"),
        "EUR",
    )
    assert (stored.start_date, stored.end_date, stored.renewal_date) == (
        START,
        None,
        dt.date(2026, 2, 28),  # one month after 31 January
    )
    assert (stored.owner, stored.team.name) == (anna, "Nord")
    assert watch.events[0].changes["amount"] == [None, "30.00"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"description": "X", "billing_period": "month"}, ["amount"]),
        ({"description": "X", "amount": "10"}, ["billing_period"]),
        ({"amount": "10", "billing_period": "month"}, ["description"]),
        ({"description": "X", "amount": "10", "billing_period": "week"}, ["billing_period"]),
        ({"description": "X", "amount": 10.5, "billing_period": "month"}, ["amount"]),
        ({"description": "X", "amount": "10.5", "currency": "JPY", "billing_period": "year"},
         ["amount"]),
        ({"description": "X", "amount": "-1", "billing_period": "month"}, ["amount"]),
        ({"description": "X", "amount": "1", "billing_period": "month", "end_date": "2026-01-01"},
         ["end_date"]),
        ({"description": "X", "amount": "1", "billing_period": "month", "organization_id": None},
         ["organization_id"]),
        ({"description": "X", "amount": "1", "billing_period": "month", "colour": "red"},
         ["colour"]),
    ],
)  # fmt: skip
def test_bad_subscriptions_are_field_errors(people, shop, data, errors):
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        subscribe(people["anna"], shop, **data)
    assert sorted(caught.value.message_dict) == errors


def test_update_cancel_and_renew(people, shop):
    anna = people["anna"]
    sub = subscribe(
        anna, shop, description="Support", amount="300", billing_period="quarter",
        end_date="2026-04-30",
    )  # fmt: skip
    assert sub.renewal_date == dt.date(2026, 4, 30)
    updated = subscription_update(
        actor=anna, subscription_id=sub.pk, data={"amount": "330.00"}, expected_version=1
    )
    assert (updated.amount, updated.version) == (Decimal("330.00"), 2)
    with orders_unchanged():
        subscription_update(actor=anna, subscription_id=sub.pk, data={"amount": "330"})
    renewed = subscription_renew(actor=anna, subscription_id=sub.pk)
    assert (renewed.renewal_date, renewed.end_date) == (dt.date(2026, 7, 30), dt.date(2026, 7, 29))
    with pytest.raises(ValidationError) as caught:
        subscription_cancel(actor=anna, subscription_id=sub.pk, reason="  ")
    assert list(caught.value.message_dict) == ["reason"]
    cancelled = subscription_cancel(
        actor=anna, subscription_id=sub.pk, reason="Too expensive", end_date="2026-06-30"
    )
    assert cancelled.cancelled_at is not None
    assert (cancelled.end_date, cancelled.renewal_date, cancelled.cancellation_reason) == (
        dt.date(2026, 6, 30),
        None,
        "Too expensive",
    )
    for attempt in (
        lambda: subscription_renew(actor=anna, subscription_id=sub.pk),
        lambda: subscription_update(actor=anna, subscription_id=sub.pk, data={"amount": "1"}),
        lambda: subscription_cancel(actor=anna, subscription_id=sub.pk, reason="again"),
    ):
        with orders_unchanged(), pytest.raises(ConflictError):
            attempt()


def test_cancel_ends_the_current_term_by_default(people, shop):
    anna = people["anna"]
    future = dt.date.today() + dt.timedelta(days=40)
    sub = subscribe(
        anna, shop, description="Licence", amount="1200", billing_period="year",
        start_date=dt.date.today() - dt.timedelta(days=10), renewal_date=future,
    )  # fmt: skip
    cancelled = subscription_cancel(actor=anna, subscription_id=sub.pk, reason="Moved away")
    assert cancelled.end_date == future - dt.timedelta(days=1)


def test_subscriptions_follow_the_order_permissions(people, shop):
    sub = subscribe(people["anna"], shop, description="X", amount="1", billing_period="month")
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        subscription_update(actor=people["carl"], subscription_id=sub.pk, data={"amount": "2"})
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        subscription_cancel(actor=people["vera"], subscription_id=sub.pk, reason="x")
    with orders_unchanged(), pytest.raises(NotFound):
        subscription_renew(actor=people["ben"], subscription_id=sub.pk)
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        subscribe(people["vera"], shop, description="X", amount="1", billing_period="month")
    assert [s.pk for s in subscription_list(viewer=people["ben"], params={}).rows] == []
    assert [s.pk for s in subscription_list(viewer=people["carl"], params={}).rows] == [sub.pk]


def test_add_months_clamps_to_the_months_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 15), 12) == dt.date(2027, 12, 15)


def test_mrr_normalises_periods_and_converts_at_the_days_rate(people, shop):
    anna, mia = people["anna"], people["mia"]
    subscribe(anna, shop, description="A", amount="100.00", billing_period="month")
    subscribe(anna, shop, description="B", amount="100.00", billing_period="quarter")
    subscribe(anna, shop, description="C", amount="1000.00", billing_period="year")
    subscribe(anna, shop, description="D", amount="110.00", billing_period="month", currency="USD")
    subscribe(
        anna, shop, description="Ended", amount="999", billing_period="month",
        end_date="2026-02-28",
    )  # fmt: skip
    subscribe(
        anna, shop, description="Later", amount="999", billing_period="month",
        start_date="2026-12-01",
    )  # fmt: skip
    subscribe(anna, shop, description="Yen", amount="3000", billing_period="month", currency="JPY")
    on = dt.date(2026, 7, 1)  # USD: 1.10 since 2026-06-01; no JPY rate at all
    result = mrr(anna, on=on)
    assert result.on == on and result.currency == "EUR"
    # 100 + 33.333… + 83.333… = 216.666… EUR; 110 USD / 1.10 = 100 EUR → 316.67, rounded once
    assert result.total == Decimal("316.67")
    assert result.count == 5
    assert [(p.currency, p.count, p.amount, p.in_base) for p in result.by_currency] == [
        ("EUR", 3, Decimal("216.67"), Decimal("216.67")),
        ("JPY", 1, Decimal("3000"), None),
        ("USD", 1, Decimal("110.00"), Decimal("100.00")),
    ]
    assert result.missing_rates == ["JPY"]
    exchange_rate_set(actor=mia, currency="JPY", date=on, rate="150")
    assert mrr(anna, on=on).total == Decimal("336.67")  # + 20.00
    assert mrr(people["ben"], on=on).total == Decimal("0.00")  # another team's customers
    # 999 + 216.666… + 110 / 1.25; the JPY rate is dated later
    assert mrr(anna, on=dt.date(2026, 2, 1)).total == Decimal("1303.67")
