"""The revenue panel on the organisation page: revenue, margin and open balance over time."""

from __future__ import annotations

import pytest

from kundenwert.orders.services import payment_record
from tests.orders.factories import DAY, issued_invoice, line, make_order, make_shop

from .conftest import client_for

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def test_revenue_margin_and_balance_show_in_the_users_locale(people):
    shop = make_shop(people)
    order = make_order(people["anna"], shop.org, line(shop.software, "2"))  # 2 × 100, cost 40
    invoice = issued_invoice(people["mia"], order)  # 200 net + 19 % = 238 gross
    payment_record(actor=people["mia"], invoice_id=invoice.pk, amount="38.00", paid_on=DAY)
    anna = client_for(people["anna"])
    german = html(anna.get(f"/organizations/{shop.org.pk}/", headers={"accept-language": "de"}))
    assert "Umsatz bisher (netto)" in german
    assert "200,00\u00a0€" in german  # revenue
    assert "120,00\u00a0€" in german  # margin: 200 − 2 × 40
    assert "200,00\u00a0€</dd>" in german.split("Offener Betrag")[1]  # 238 − 38 paid
    english = html(anna.get(f"/organizations/{shop.org.pk}/", headers={"accept-language": "en"}))
    assert "Revenue to date (net)" in english and "€120.00" in english


def test_no_panel_without_invoices_and_none_for_other_teams(people):
    shop = make_shop(people)
    anna = client_for(people["anna"])
    page = html(anna.get(f"/organizations/{shop.org.pk}/", headers={"accept-language": "en"}))
    assert "Revenue to date" not in page
    order = make_order(people["ben"], shop.ben_org, line(shop.software, "1"))
    issued_invoice(people["admin"], order)
    assert anna.get(f"/organizations/{shop.ben_org.pk}/").status_code == 404
