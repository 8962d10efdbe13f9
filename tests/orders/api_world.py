"""Orders, invoices and a subscription of anna's organisation, for the API tests.

Import the fixture `sales_books` into a test module of tests/api; it builds on the `world`
fixture of tests/api/conftest.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kundenwert.catalog.models import Product
from kundenwert.catalog.services import exchange_rate_set
from kundenwert.orders.models import Invoice, Order, Subscription
from kundenwert.orders.services import (
    invoice_create_from_order,
    invoice_issue,
    order_create,
    subscription_create,
)
from tests.catalog.factories import ensure_presets, price_list, priced, product
from tests.sales.factories import default_pipeline

DAY = dt.date(2026, 3, 2)


@dataclass
class Books:
    """anna's open order, an issued invoice (of a second order) and a draft (of a third), and
    her subscription; mia (manager, Nord) billed them. `software` is 100.00 EUR, 19 %."""

    software: Product
    order: Order
    invoice: Invoice
    draft: Invoice
    subscription: Subscription


def _order(anna, world, software) -> Order:
    return order_create(
        actor=anna,
        data={
            "organization_id": world.org.pk,
            "ordered_on": DAY,
            "lines": [{"product_id": software.pk, "quantity": "2"}],
        },
    )


@pytest.fixture
def sales_books(world) -> Books:
    ensure_presets()
    default_pipeline()
    anna, mia = world.people["anna"], world.people["mia"]
    software = product(mia, "SW-1", "Software", cost_price="40")
    items = price_list(mia, "Liste 2026", "EUR", is_default=True)
    priced(mia, items, software, "100.00")
    exchange_rate_set(actor=mia, currency="USD", date=dt.date(2026, 1, 1), rate="1.25")
    order = _order(anna, world, software)
    billed = invoice_create_from_order(actor=mia, order_id=_order(anna, world, software).pk)
    invoice = invoice_issue(actor=mia, invoice_id=billed.pk, issue_date=DAY)
    draft = invoice_create_from_order(actor=mia, order_id=_order(anna, world, software).pk)
    subscription = subscription_create(
        actor=anna,
        data={
            "organization_id": world.org.pk,
            "description": "Hosting",
            "amount": "30.00",
            "billing_period": "month",
            "start_date": DAY,
        },
    )
    return Books(software, order, invoice, draft, subscription)
