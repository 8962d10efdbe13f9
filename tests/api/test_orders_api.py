"""The orders, invoices and subscriptions resources over real HTTP: shapes, amounts as strings,
status codes and problems."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kundenwert.orders.models import Invoice, Order
from tests.conftest import issue_token
from tests.orders.api_world import DAY, sales_books  # noqa: F401 - a fixture
from tests.orders.factories import order_rows

from .conftest import LIVE, PROBLEM_KEYS

pytestmark = LIVE


@pytest.fixture
def mia(world) -> str:
    return issue_token(world.people["mia"])


def test_order_to_invoice_to_payment_to_credit_note(api, world, sales_books, mia):  # noqa: F811
    anna = world.tokens["anna"]
    created = api.post(
        "/orders",
        token=anna,
        json={
            "organization_id": world.org.pk,
            "ordered_on": "2026-03-02",
            "customer_reference": "PO 4711",
            "lines": [
                {
                    "product_id": sales_books.software.pk,
                    "quantity": "1.5",
                    "discount_percent": "10",
                },
                {"description": "Setup", "quantity": "1", "unit_price": "49.995", "tax_rate": "7"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert created.headers["ETag"] == f'"{order["id"]}-1"'
    assert order["number"] == "B-2026-00004"  # the fixture made three
    assert order["customer"] == f"o:{world.org.pk}"
    # 1.5 × 100 × 0.9 = 135.00 (19 %: 25.65); 49.995 → 50.00 (7 %: 3.50)
    assert (order["net_total"], order["tax_total"], order["gross_total"]) == (
        "185.00",
        "29.15",
        "214.15",
    )
    assert (order["cost_total"], order["margin"]) == (None, None)
    shown = [
        (li["description"], li["quantity"], li["unit_price"], li["net"]) for li in order["lines"]
    ]
    assert shown == [("Software", "1.5", "100", "135.00"), ("Setup", "1", "49.995", "50.00")]
    order_id = order["id"]

    stale = api.patch(
        f"/orders/{order_id}", token=anna, json={"notes": "x"}, headers={"If-Match": '"1-9"'}
    )
    assert stale.status_code == 412
    changed = api.patch(
        f"/orders/{order_id}",
        token=anna,
        json={"notes": "Deliver by Friday"},
        headers={"If-Match": created.headers["ETag"]},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    delivered = api.post(f"/orders/{order_id}/deliver", token=anna)
    assert delivered.json()["status"] == "delivered"

    draft = api.post(f"/orders/{order_id}/invoice", token=mia, json={"payment_terms_days": 30})
    assert draft.status_code == 201, draft.text
    body = draft.json()
    assert (body["kind"], body["status"], body["number"], body["open_balance"]) == (
        "invoice",
        "draft",
        "",
        "0.00",
    )
    assert body["taxes"] == [
        {"tax_rate": "19.00", "net": "135.00", "tax": "25.65"},
        {"tax_rate": "7.00", "net": "50.00", "tax": "3.50"},
    ]
    invoice_id = body["id"]
    issued = api.post(f"/invoices/{invoice_id}/issue", token=mia, json={"issue_date": "2026-03-03"})
    assert issued.status_code == 200, issued.text
    assert (issued.json()["number"], issued.json()["due_date"]) == ("R-2026-00002", "2026-04-02")
    again = api.post(f"/invoices/{invoice_id}/issue", token=mia, json={})
    assert (again.status_code, again.json()["code"]) == (409, "invoice_issued")
    gone = api.delete(f"/invoices/{invoice_id}", token=mia)
    assert (gone.status_code, gone.json()["code"]) == (409, "invoice_issued")

    paid = api.post(
        f"/invoices/{invoice_id}/payments",
        token=mia,
        json={"amount": "100.00", "paid_on": "2026-03-10", "reference": "SEPA"},
    )
    assert paid.status_code == 201, paid.text
    assert (paid.json()["amount"], paid.json()["currency"]) == ("100.00", "EUR")
    before = order_rows()
    too_much = api.post(
        f"/invoices/{invoice_id}/payments",
        token=mia,
        json={"amount": "114.16"},
        headers={"Accept-Language": "en"},
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"] == {
        "amount": ["The payment exceeds the open balance of 114.15 EUR."]
    }
    assert order_rows() == before

    note = api.post(f"/invoices/{invoice_id}/credit-note", token=mia, json={"issue": True})
    assert note.status_code == 201, note.text
    assert (note.json()["kind"], note.json()["number"], note.json()["gross_total"]) == (
        "credit_note",
        "G-2026-00001",
        "-214.15",
    )
    assert note.json()["lines"][0]["quantity"] == "-1.5"
    detail = api.get(f"/invoices/{invoice_id}", token=mia).json()
    assert (detail["status"], detail["paid_total"], detail["credited_total"]) == (
        "cancelled",
        "100.00",
        "-214.15",
    )
    assert detail["open_balance"] == "-100.00"  # owed back to the customer
    payments = api.get(f"/invoices/{invoice_id}/payments", token=world.tokens["vera"]).json()
    assert [p["amount"] for p in payments["items"]] == ["100.00"]
    listed = api.get(f"/invoices?kind=credit_note&customer=o:{world.org.pk}", token=mia).json()
    assert [i["number"] for i in listed["items"]] == ["G-2026-00001"]


ONE = {"description": "X", "quantity": "1", "unit_price": "1"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [ONE | {"quantity": 1.5}]}, "lines.0.quantity"),
        ({"lines": [ONE | {"unit_price": 9.9}]}, "lines.0.unit_price"),
        ({"lines": [ONE | {"quantity": "NaN"}]}, "lines.0.quantity"),
        ({"lines": [ONE | {"quantity": "0"}]}, "lines.0.quantity"),
        ({"lines": [{"description": "X", "quantity": "1"}]}, "lines.0.unit_price"),
        ({"lines": []}, "lines"),
        ({"currency": "EUX", "lines": [ONE]}, "currency"),
    ],
)
def test_bad_orders_are_422_with_the_field_and_write_nothing(api, world, body, field):
    before = order_rows()
    response = api.post(
        "/orders", token=world.tokens["anna"], json={"organization_id": world.org.pk, **body}
    )
    assert response.status_code == 422, response.text
    assert set(response.json()) == PROBLEM_KEYS
    assert field in response.json()["errors"], response.json()
    assert order_rows() == before
    assert not Order.objects.exists()


def test_a_missing_price_names_the_line(api, world, sales_books):  # noqa: F811
    response = api.post(
        "/orders",
        token=world.tokens["anna"],
        json={
            "organization_id": world.org.pk,
            "currency": "USD",
            "lines": [{"description": "X", "quantity": "1", "unit_price": "1"},
                      {"product_id": sales_books.software.pk, "quantity": "1"}],
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["lines.1.unit_price"]


def test_lists_filter_and_page(api, world, sales_books, mia):  # noqa: F811
    vera = world.tokens["vera"]
    orders = api.get("/orders?limit=2", token=vera).json()
    assert len(orders["items"]) == 2 and orders["next_cursor"]
    rest = api.get(f"/orders?limit=2&cursor={orders['next_cursor']}", token=vera).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert orders["items"][0]["lines"] is None
    issued = api.get("/invoices?status=issued,overdue", token=vera).json()
    assert [i["id"] for i in issued["items"]] == [sales_books.invoice.pk]
    assert issued["items"][0]["is_overdue"] is True  # due 14 days after 2 March 2026
    assert issued["items"][0]["open_balance"] == "238.00"
    drafts = api.get("/invoices?status=draft", token=vera).json()
    assert [i["id"] for i in drafts["items"]] == [sales_books.draft.pk]
    for query, field in (("status=lost", "status"), ("colour=red", "colour")):
        bad = api.get(f"/invoices?{query}", token=vera)
        assert bad.status_code == 400
        assert list(bad.json()["errors"]) == [field]
    assert api.get("/orders?customer=x:1", token=vera).status_code == 400


def test_discarding_a_draft(api, world, sales_books, mia):  # noqa: F811
    response = api.delete(f"/invoices/{sales_books.draft.pk}", token=mia)
    assert response.status_code == 204
    assert not Invoice.objects.filter(pk=sales_books.draft.pk).exists()
    assert api.get(f"/invoices/{sales_books.draft.pk}", token=mia).status_code == 404


def test_subscriptions_and_mrr(api, world, sales_books):  # noqa: F811
    anna = world.tokens["anna"]
    created = api.post(
        "/subscriptions",
        token=anna,
        json={
            "organization_id": world.org.pk,
            "description": "Support",
            "amount": "300.00",
            "billing_period": "quarter",
            "start_date": "2026-03-01",
            "currency": "USD",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["amount"], body["monthly_amount"], body["renewal_date"]) == (
        "300.00",
        "100.00",
        "2026-06-01",
    )
    sub_id = body["id"]
    changed = api.patch(f"/subscriptions/{sub_id}", token=anna, json={"amount": "330.00"})
    assert changed.json()["amount"] == "330.00"
    mrr = api.get("/subscriptions/mrr?on=2026-04-01", token=anna).json()
    # Hosting 30.00 EUR; support 330 USD / 3 = 110 USD at 1.25 = 88.00 EUR
    assert (mrr["total"], mrr["count"], mrr["currency"]) == ("118.00", 2, "EUR")
    assert mrr["by_currency"] == [
        {"currency": "EUR", "count": 1, "amount": "30.00", "in_base": "30.00"},
        {"currency": "USD", "count": 1, "amount": "110.00", "in_base": "88.00"},
    ]
    assert mrr["missing_rates"] == []
    cancelled = api.post(
        f"/subscriptions/{sub_id}/cancel",
        token=anna,
        json={"reason": "Budget", "end_date": "2026-05-31"},
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["end_date"], cancelled.json()["cancellation_reason"]) == (
        "2026-05-31",
        "Budget",
    )
    refused = api.post(f"/subscriptions/{sub_id}/renew", token=anna)
    assert (refused.status_code, refused.json()["code"]) == (409, "cancelled")
    float_amount = api.post(
        "/subscriptions",
        token=anna,
        json={"organization_id": world.org.pk, "description": "X", "amount": 1.5,
              "billing_period": "month"},
    )  # fmt: skip
    assert float_amount.status_code == 422
    assert "amount" in float_amount.json()["errors"]
    assert api.get("/subscriptions/mrr?on=soon", token=anna).status_code == 400


def test_the_totals_round_trip_through_the_api_unchanged(api, world, sales_books):  # noqa: F811
    """What the API returns is exactly what is stored, to the cent."""
    order = api.get(f"/orders/{sales_books.order.pk}", token=world.tokens["anna"]).json()
    stored = Order.objects.get(pk=sales_books.order.pk)
    for name in ("net_total", "tax_total", "gross_total", "cost_total"):
        assert Decimal(order[name]) == getattr(stored, name)
        assert order[name].count(".") == 1 and len(order[name].split(".")[1]) == 2
