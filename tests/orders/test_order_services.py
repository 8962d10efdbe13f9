"""Service tests for orders: create with prices from the catalogue, update, deliver, cancel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.core.context import acting_through
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.orders.models import NumberSequence, Order, OrderLine
from kundenwert.orders.services import (
    invoice_create_from_order,
    order_cancel,
    order_create,
    order_deliver,
    order_update,
)
from kundenwert.orders.signals import order_delivered
from kundenwert.org.models import Team
from tests.core.state import one_event
from tests.orders.factories import DAY, line, make_order, orders_unchanged
from tests.sales.factories import deal

Verb = AuditEvent.Verb


@pytest.fixture
def delivered_signals():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    order_delivered.connect(receiver)
    yield received
    order_delivered.disconnect(receiver)


# --- create --------------------------------------------------------------------------------------


def test_create_takes_names_prices_taxes_and_costs_from_the_catalogue(people, shop):
    anna = people["anna"]
    with acting_through("api"), one_event(Verb.CREATE) as watch:
        order = order_create(
            actor=anna,
            data={
                "organization_id": shop.org.pk,
                "ordered_on": "2026-03-02",
                "customer_reference": "  PO 4711 ",
                "lines": [
                    line(shop.software, "3", discount_percent="10"),
                    line(shop.book, "2.5"),
                    line(quantity="1", description="Setup", unit_price="49.995", unit="flat"),
                ],
            },
        )
    stored = Order.objects.get(pk=order.pk)
    assert stored.number == "B-2026-00001"
    assert (stored.owner, stored.team) == (anna, Team.objects.get(name="Nord"))
    assert (stored.currency, stored.ordered_on, stored.status) == ("EUR", DAY, "open")
    assert stored.customer_reference == "PO 4711"
    lines = list(OrderLine.objects.filter(order=stored).order_by("position"))
    assert [
        (li.position, li.description, li.unit, li.quantity, li.unit_price, li.tax_rate, li.net)
        for li in lines
    ] == [
        (1, "Software", "piece", Decimal("3"), Decimal("100"), Decimal("19"), Decimal("270.00")),
        (2, "Book", "piece", Decimal("2.5"), Decimal("19.9"), Decimal("7"), Decimal("49.75")),
        (3, "Setup", "flat", Decimal("1"), Decimal("49.995"), Decimal("19"), Decimal("50.00")),
    ]
    assert [li.cost_price for li in lines] == [Decimal("40"), None, None]
    # 19 %: 320.00 → 60.80; 7 %: 49.75 → 3.4825 → 3.48
    assert (stored.net_total, stored.tax_total, stored.gross_total) == (
        Decimal("369.75"),
        Decimal("64.28"),
        Decimal("434.03"),
    )
    assert stored.cost_total is None  # the book's and the setup's costs are unknown
    (event,) = watch.events
    assert (event.target_type, event.source, event.actor) == ("order", "api", anna)
    assert event.changes["number"] == [None, "B-2026-00001"]
    assert event.changes["gross_total"] == [None, "434.03"]
    assert event.changes["lines"][1][1] == [
        "Book", "2.5000", "19.9000", "0.00", "7.00", "49.75"
    ]  # fmt: skip


def test_numbers_count_up_per_year_and_the_margin_is_known_when_every_cost_is(people, shop):
    anna = people["anna"]
    first = make_order(anna, shop.org, line(shop.software, "2"))
    second = make_order(anna, shop.person, line(shop.software, "1"))
    next_year = make_order(anna, shop.org, line(shop.software), ordered_on=dt.date(2027, 1, 4))
    assert [first.number, second.number, next_year.number] == [
        "B-2026-00001",
        "B-2026-00002",
        "B-2027-00001",
    ]
    assert (first.net_total, first.cost_total, first.margin) == (
        Decimal("200.00"),
        Decimal("80.00"),
        Decimal("120.00"),
    )
    assert second.person == shop.person and second.organization is None
    assert NumberSequence.objects.get(key="order", year=2026).last_number == 2


def test_a_named_price_list_and_a_foreign_cost_are_used(people, shop):
    order = make_order(
        people["anna"],
        shop.org,
        line(shop.software, "1"),
        line(shop.usd_cost, "2", unit_price="30"),
        price_list_id=shop.partners.pk,
    )
    lines = list(order.lines.order_by("position"))
    assert lines[0].unit_price == Decimal("80.00")
    # 10 USD at 1.25 USD per EUR on 2026-03-02 = 8 EUR
    assert lines[1].cost_price == Decimal("8.0000")
    assert order.cost_total == Decimal("56.00")  # 40 + 2 × 8
    assert order.price_list == shop.partners


def test_a_cost_without_a_rate_leaves_the_margin_unknown(people, shop):
    order = make_order(
        people["anna"],
        shop.org,
        line(shop.usd_cost, "1", unit_price="30"),
        ordered_on=dt.date(2025, 12, 1),  # before the first USD rate
    )
    assert order.lines.get().cost_price is None
    assert order.cost_total is None and order.margin is None


def test_an_order_from_a_deal_is_for_the_deals_customer(people, shop):
    anna = people["anna"]
    won = deal(anna, "Rollout", organization=shop.org, person=shop.person)
    order = order_create(
        actor=anna, data={"deal_id": won.pk, "lines": [line(shop.software)], "ordered_on": DAY}
    )
    assert (order.deal, order.organization, order.person) == (won, shop.org, shop.person)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"lines": [line(quantity="0", description="X", unit_price="1")]}, ["lines.0.quantity"]),
        ({"lines": [line(quantity="-2", description="X", unit_price="1")]}, ["lines.0.quantity"]),
        ({"lines": [line(quantity=1.5, description="X", unit_price="1")]}, ["lines.0.quantity"]),
        ({"lines": [line(description="X", unit_price=9.99)]}, ["lines.0.unit_price"]),
        ({"lines": [line(description="X", unit_price="1.00001")]}, ["lines.0.unit_price"]),
        ({"lines": [line(description="X", unit_price="-1")]}, ["lines.0.unit_price"]),
        ({"lines": [line(description="X")]}, ["lines.0.unit_price"]),
        ({"lines": [line(unit_price="1")]}, ["lines.0.description"]),
        ({"lines": [line(description="X", unit_price="1", discount_percent="101")]},
         ["lines.0.discount_percent"]),
        ({"lines": [line(description="X", unit_price="1", colour="red")]}, ["lines.0.colour"]),
        ({"lines": [{"product_id": 999999, "quantity": "1"}]}, ["lines.0.product_id"]),
        ({"lines": ["not a line"]}, ["lines.0"]),
        ({"lines": []}, ["lines"]),
        ({"currency": "EUX"}, ["currency"]),
        ({"ordered_on": "2026-02-30"}, ["ordered_on"]),
        ({"organization_id": None}, ["organization_id"]),
        ({"organization_id": 999999}, ["organization_id"]),
        ({"deal_id": 999999}, ["deal_id"]),
        ({"price_list_id": 999999}, ["price_list_id"]),
        ({"owner_id": 999999}, ["owner_id"]),
        ({"colour": "red"}, ["colour"]),
    ],
)  # fmt: skip
def test_bad_input_is_a_field_error_and_writes_nothing(people, shop, data, errors):
    base = {"organization_id": shop.org.pk, "lines": [line(shop.software)], "ordered_on": DAY}
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_create(actor=people["anna"], data=base | data)
    assert sorted(caught.value.message_dict) == errors


def test_every_bad_line_is_named_at_once(people, shop):
    data = {
        "organization_id": shop.org.pk,
        "currency": "USD",
        "ordered_on": DAY,
        "price_list_id": shop.partners.pk,
        "lines": [
            line(shop.software),
            line(shop.book, "0"),
            line(shop.book),
        ],
    }
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_create(actor=people["anna"], data=data)
    assert caught.value.message_dict == {
        "price_list_id": ["This price list is in EUR, the order in USD."],
        # With the header wrong, no price is looked up: only the line's own fault is named.
        "lines.1.quantity": ["Enter a number greater than zero."],
    }


def test_a_price_list_without_a_price_names_the_line_and_takes_no_number(people, shop):
    anna = people["anna"]
    data = {
        "organization_id": shop.org.pk,
        "ordered_on": DAY,
        "price_list_id": shop.partners.pk,
        "lines": [line(shop.software), line(shop.book, "2")],
    }
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_create(actor=anna, data=data)
    assert caught.value.message_dict == {
        "lines.1.unit_price": ["There is no price for this product on the list “Partners”."]
    }
    # Without a list the currency's default list has no USD prices either.
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_create(
            actor=anna,
            data={"organization_id": shop.org.pk, "currency": "USD", "lines": [line(shop.book)]},
        )
    assert list(caught.value.message_dict) == ["lines.0.unit_price"]
    assert make_order(anna, shop.org, line(shop.software)).number == "B-2026-00001"


def test_a_customer_the_actor_cannot_see_is_not_found(people, shop):
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_create(
            actor=people["anna"],
            data={"organization_id": shop.ben_org.pk, "lines": [line(shop.software)]},
        )
    assert caught.value.message_dict == {"organization_id": ["No organisation with this id."]}


@pytest.mark.parametrize("who", ["vera", "max"])
def test_roles_without_order_edit_are_denied_and_nothing_changes(people, shop, who):
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        order_create(
            actor=people[who],
            data={"organization_id": shop.org.pk, "lines": [line(shop.software)]},
        )


def test_a_rep_cannot_create_an_order_owned_by_a_colleague(people, shop):
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        order_create(
            actor=people["carl"],
            data={
                "organization_id": shop.org.pk,
                "owner_id": people["anna"].pk,
                "lines": [line(shop.software)],
            },
        )
    event = AuditEvent.objects.get(verb=Verb.PERMISSION_DENIED)
    assert (event.actor, event.changes) == (people["carl"], {"action": "order.edit"})


# --- update --------------------------------------------------------------------------------------


def test_update_replaces_the_lines_and_recomputes_the_totals(people, shop):
    anna = people["anna"]
    order = make_order(anna, shop.org, line(shop.software, "2"))
    with one_event(Verb.UPDATE) as watch:
        updated = order_update(
            actor=anna,
            order_id=order.pk,
            data={"lines": [line(shop.book, "10")], "notes": "Rush"},
            expected_version=order.version,
        )
    assert updated.version == 2
    assert [(li.description, li.net) for li in updated.lines.all()] == [("Book", Decimal("199.00"))]
    assert (updated.net_total, updated.tax_total, updated.gross_total) == (
        Decimal("199.00"),
        Decimal("13.93"),
        Decimal("212.93"),
    )
    assert updated.number == order.number
    changes = watch.events[0].changes
    assert changes["notes"] == ["", "Rush"]
    assert changes["net_total"] == ["200.00", "199.00"]
    assert changes["cost_total"] == ["80.00", None]


def test_update_without_a_change_writes_nothing(people, shop):
    anna = people["anna"]
    order = make_order(anna, shop.org, line(shop.software, "2"), notes="Same")
    with orders_unchanged():
        order_update(actor=anna, order_id=order.pk, data={"notes": "Same"})


def test_changing_the_currency_or_date_needs_the_lines(people, shop):
    anna = people["anna"]
    order = make_order(anna, shop.org, line(shop.software))
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_update(
            actor=anna, order_id=order.pk, data={"currency": "USD", "ordered_on": "2026-07-01"}
        )
    assert caught.value.message_dict == {
        "currency": ["Send the lines with this change."],
        "ordered_on": ["Send the lines with this change."],
    }


def test_update_refuses_a_stale_version_a_closed_order_and_an_outsider(people, shop):
    anna, ben = people["anna"], people["ben"]
    order = make_order(anna, shop.org, line(shop.software))
    with orders_unchanged(), pytest.raises(PreconditionFailed):
        order_update(actor=anna, order_id=order.pk, data={"notes": "x"}, expected_version=7)
    with orders_unchanged(), pytest.raises(NotFound):
        order_update(actor=ben, order_id=order.pk, data={"notes": "x"})
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        order_update(actor=people["carl"], order_id=order.pk, data={"notes": "x"})
    order_deliver(actor=anna, order_id=order.pk)
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        order_update(actor=anna, order_id=order.pk, data={"notes": "x"})
    assert caught.value.code == "order_not_open"


def test_an_invoiced_order_cannot_change_or_be_cancelled(people, shop):
    anna, mia = people["anna"], people["mia"]
    order = make_order(anna, shop.org, line(shop.software))
    invoice_create_from_order(actor=mia, order_id=order.pk)
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        order_update(actor=anna, order_id=order.pk, data={"notes": "x"})
    assert caught.value.code == "invoiced"
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        order_cancel(actor=anna, order_id=order.pk, reason="no")
    assert caught.value.code == "invoiced"


# --- deliver and cancel --------------------------------------------------------------------------


def test_deliver_announces_the_order_after_commit(
    people, shop, delivered_signals, django_capture_on_commit_callbacks
):
    anna = people["anna"]
    order = make_order(anna, shop.org, line(shop.software))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivered = order_deliver(actor=anna, order_id=order.pk)
    assert delivered_signals == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert delivered.status == "delivered" and delivered.delivered_at is not None
    assert delivered_signals == [
        {
            "signal": order_delivered,
            "order_id": order.pk,
            "organization_id": shop.org.pk,
            "person_id": None,
            "owner_id": anna.pk,
            "delivered_at": delivered.delivered_at,
        }
    ]
    with orders_unchanged(), pytest.raises(ConflictError):
        order_deliver(actor=anna, order_id=order.pk)


def test_deliver_denied_writes_nothing_and_sends_nothing(
    people, shop, delivered_signals, django_capture_on_commit_callbacks
):
    order = make_order(people["anna"], shop.org, line(shop.software))
    with (
        django_capture_on_commit_callbacks(execute=True),
        orders_unchanged(denied=1),
        pytest.raises(PermissionDenied),
    ):
        order_deliver(actor=people["vera"], order_id=order.pk)
    assert delivered_signals == []


def test_cancel_records_the_reason_and_is_idempotent(people, shop):
    anna = people["anna"]
    order = make_order(anna, shop.org, line(shop.software))
    with one_event(Verb.UPDATE) as watch:
        cancelled = order_cancel(actor=anna, order_id=order.pk, reason=" Budget cut ")
    assert (cancelled.status, cancelled.cancellation_reason) == ("cancelled", "Budget cut")
    assert watch.events[0].changes["status"] == ["open", "cancelled"]
    with orders_unchanged():
        order_cancel(actor=anna, order_id=order.pk, reason="again")
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        invoice_create_from_order(actor=people["mia"], order_id=order.pk)
    assert caught.value.code == "order_cancelled"
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        order_cancel(actor=people["vera"], order_id=order.pk)


def test_a_total_too_large_to_store_is_a_field_error(people, shop):
    huge = line(quantity="9999999999", description="X", unit_price="99999999999999")
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        order_create(actor=people["anna"], data={"organization_id": shop.org.pk, "lines": [huge]})
    assert caught.value.message_dict == {"lines": ["The total is too large."]}
