"""Build orders, invoices and subscriptions through the services, and snapshot their tables."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from kundenwert.catalog.models import PriceList, Product, TaxRate
from kundenwert.catalog.services import exchange_rate_set
from kundenwert.contacts.models import Organization, Person
from kundenwert.orders.models import (
    Invoice,
    InvoiceLine,
    NumberSequence,
    Order,
    OrderLine,
    Payment,
    Subscription,
)
from kundenwert.orders.services import invoice_create_from_order, invoice_issue, order_create
from tests.catalog.factories import ensure_presets, price_list, priced, product
from tests.catalog.state import nothing_changed as catalog_unchanged
from tests.contacts.factories import org, person
from tests.sales.factories import default_pipeline

ORDER_TABLES = (NumberSequence, Order, OrderLine, Invoice, InvoiceLine, Payment, Subscription)

DAY = dt.date(2026, 3, 2)  # a Monday; every price list and rate below is valid by then


def order_rows() -> dict[str, list[dict]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in ORDER_TABLES}


@contextlib.contextmanager
def orders_unchanged(*, denied: int = 0) -> Iterator[None]:
    """Assert no order, invoice, payment, subscription, sequence, catalogue or contact row
    changed inside the block, and that exactly `denied` permission_denied events were written.

    Nest `pytest.raises` inside, so the check runs after the exception was caught.
    """
    before = order_rows()
    with catalog_unchanged(denied=denied):
        yield
    after = order_rows()
    for label, rows in before.items():
        assert after[label] == rows, f"{label} changed"


@dataclass
class Shop:
    """mia's catalogue and anna's customers (team Nord), as most order tests need them.

    Products: SW-1 (19 %, cost 40 EUR, 100.00 EUR on the default list), BOOK (7 %, no cost
    price, 19.90 EUR), USD-COST (19 %, cost 10 USD; no price on any list). Lists: the default
    EUR list and "Partners" (EUR, only SW-1 at 80.00). USD rates: 1.25 from 2026-01-01,
    1.10 from 2026-06-01 (1 EUR = … USD).
    """

    people: dict
    software: Product
    book: Product
    usd_cost: Product
    default_list: PriceList
    partners: PriceList
    org: Organization
    person: Person
    ben_org: Organization


def make_shop(people) -> Shop:
    ensure_presets()
    default_pipeline()
    mia = people["mia"]
    software = product(mia, "SW-1", "Software", name_en="Software", cost_price="40")
    book = product(mia, "BOOK", "Buch", name_en="Book", tax_rate_id=_reduced())
    usd_cost = product(mia, "USD-COST", "Import", cost_price="10", cost_currency="USD")
    default_list = price_list(mia, "Liste 2026", "EUR", is_default=True)
    priced(mia, default_list, software, "100.00")
    priced(mia, default_list, book, "19.90")
    partners = price_list(mia, "Partners", "EUR")
    priced(mia, partners, software, "80.00")
    exchange_rate_set(actor=mia, currency="USD", date=dt.date(2026, 1, 1), rate="1.25")
    exchange_rate_set(actor=mia, currency="USD", date=dt.date(2026, 6, 1), rate="1.10")
    return Shop(
        people=people,
        software=software,
        book=book,
        usd_cost=usd_cost,
        default_list=default_list,
        partners=partners,
        org=org(people["anna"], "Nordlicht GmbH"),
        person=person(people["anna"], "Paulsen", first_name="Petra"),
        ben_org=org(people["ben"], "Südwind AG"),
    )


def _reduced() -> int:
    return TaxRate.objects.get(preset="reduced").pk


def line(item: Product | None = None, quantity: str = "1", **fields) -> dict:
    data = {"quantity": quantity, **fields}
    if item is not None:
        data["product_id"] = item.pk
    return data


def make_order(actor, customer: Organization | Person, *lines: dict, **data) -> Order:
    key = "organization_id" if isinstance(customer, Organization) else "person_id"
    data.setdefault("ordered_on", DAY)
    return order_create(
        actor=actor,
        data={
            key: customer.pk,
            "lines": list(lines)
            or [{"quantity": "1", "description": "Service", "unit_price": "100"}],
            **data,
        },
    )


def issued_invoice(
    biller, order: Order, *, issue_date: dt.date = DAY, payment_terms_days: int | None = None
) -> Invoice:
    draft = invoice_create_from_order(
        actor=biller, order_id=order.pk, payment_terms_days=payment_terms_days
    )
    return invoice_issue(actor=biller, invoice_id=draft.pk, issue_date=issue_date)


def amount(text: str) -> Decimal:
    return Decimal(text)
