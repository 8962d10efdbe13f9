"""The revenue the value engine reads: transactions in the base currency, streamed; and the
per-month history of a customer."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from kundenwert.catalog.models import ExchangeRate
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.orders.models import Invoice
from kundenwert.orders.selectors import (
    RevenueMonth,
    RevenueTransaction,
    revenue_history,
    revenue_transactions,
)
from kundenwert.orders.services import (
    credit_note_create,
    invoice_create_from_order,
    invoice_issue,
    payment_record,
)
from tests.orders.factories import DAY, issued_invoice, line, make_order

MARCH_5, MARCH_10, JUNE_15 = dt.date(2026, 3, 5), dt.date(2026, 3, 10), dt.date(2026, 6, 15)


def _usd(quantity: str = "1") -> dict:
    return line(quantity=quantity, description="Import", unit_price="110.00", cost_price="55")


@pytest.fixture
def books(people, shop):
    """Issued documents of three customers, a draft, and a payment (see each comment)."""
    anna, ben, mia, admin = people["anna"], people["ben"], people["mia"], people["admin"]
    # anna's organisation: 2 × software (net 200.00, cost 80.00), issued 2 March …
    first = issued_invoice(mia, make_order(anna, shop.org, line(shop.software, "2")))
    # … one of them credited on 5 March (net −100.00, cost −40.00) …
    note = credit_note_create(
        actor=mia,
        invoice_id=first.pk,
        lines=[{"invoice_line_id": first.lines.get().pk, "quantity": "1"}],
    )
    invoice_issue(actor=mia, invoice_id=note.pk, issue_date=MARCH_5)
    # … and 119.00 of the rest paid on 10 April.
    payment_record(actor=mia, invoice_id=first.pk, amount="119.00", paid_on="2026-04-10")
    # USD: 110 USD on 10 March at 1.25 = 88.00 EUR (margin 44.00); again on 15 June at 1.10 =
    # 100.00 EUR, without a cost (margin unknown).
    dollars = make_order(anna, shop.org, _usd(), currency="USD")
    issued_invoice(mia, dollars, issue_date=MARCH_10)
    unknown_cost = make_order(
        anna,
        shop.org,
        line(quantity="1", description="Import", unit_price="110.00"),
        currency="USD",
    )
    issued_invoice(mia, unknown_cost, issue_date=JUNE_15)
    # Petra as a private customer: a book (net 19.90, no cost price), 2 March.
    issued_invoice(mia, make_order(anna, shop.person, line(shop.book)))
    # ben's organisation (team Süd): 1 × software, billed by the administrator.
    issued_invoice(admin, make_order(ben, shop.ben_org, line(shop.software)))
    # A draft is no revenue.
    invoice_create_from_order(
        actor=mia, order_id=make_order(anna, shop.org, line(shop.software, "9")).pk
    )
    return {"first": first, "note": note}


def rows(**kwargs) -> set[RevenueTransaction]:
    return set(revenue_transactions(**kwargs))


def test_batch_yields_every_issued_document_in_the_base_currency(people, shop, books):
    org, petra, ben_org = f"o:{shop.org.pk}", f"p:{shop.person.pk}", f"o:{shop.ben_org.pk}"
    D = Decimal
    expected = {
        RevenueTransaction(org, DAY, D("200.00"), D("120.00")),
        RevenueTransaction(org, MARCH_5, D("-100.00"), D("-60.00")),
        RevenueTransaction(org, MARCH_10, D("88.00"), D("44.00")),
        RevenueTransaction(org, JUNE_15, D("100.00"), None),
        RevenueTransaction(petra, DAY, D("19.90"), None),
        RevenueTransaction(ben_org, DAY, D("100.00"), D("60.00")),
    }
    result = list(revenue_transactions(batch=True))
    assert len(result) == 6
    assert set(result) == expected
    for row in result:
        assert isinstance(row.net, Decimal) and row.net.as_tuple().exponent == -2
        assert isinstance(row.date, dt.date)


def test_a_fully_credited_invoice_nets_to_zero(people, shop):
    mia = people["mia"]
    invoice = issued_invoice(mia, make_order(people["anna"], shop.org, line(shop.book, "3")))
    note = credit_note_create(actor=mia, invoice_id=invoice.pk)
    invoice_issue(actor=mia, invoice_id=note.pk, issue_date=DAY)
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"
    result = list(revenue_transactions(batch=True))
    assert sorted(r.net for r in result) == [Decimal("-59.70"), Decimal("59.70")]
    assert sum(r.net for r in result) == 0


def test_a_viewer_sees_only_readable_documents_of_visible_customers(people, shop, books):
    anna_sees = rows(viewer=people["anna"])
    assert {r.customer for r in anna_sees} == {f"o:{shop.org.pk}", f"p:{shop.person.pk}"}
    assert len(anna_sees) == 5
    ben_sees = rows(viewer=people["ben"])
    assert {(r.customer, r.net) for r in ben_sees} == {(f"o:{shop.ben_org.pk}", Decimal("100.00"))}
    assert rows(viewer=people["vera"]) == rows(batch=True)  # read-only: reads everything
    assert rows(viewer=people["max"]) == set()  # marketing: no invoice level at all


def test_the_selector_needs_exactly_one_of_viewer_and_batch(people):
    with pytest.raises(TypeError):
        revenue_transactions()
    with pytest.raises(TypeError):
        revenue_transactions(viewer=people["anna"], batch=True)
    with pytest.raises(TypeError):
        revenue_transactions(batch=True, chunk_size=0)


def test_a_rate_removed_after_issuing_is_reported(people, shop, books):
    ExchangeRate.objects.filter(currency="USD").delete()
    with pytest.raises(ValidationError) as caught:
        list(revenue_transactions(batch=True))
    assert caught.value.code == "no_exchange_rate"


def _bulk_invoices(shop, owner, count: int) -> None:
    """Issued invoices written straight to the table (the services would take minutes)."""
    batch = []
    for index in range(count):
        batch.append(
            Invoice(
                number=f"X-{index:07d}",
                status=Invoice.Status.ISSUED,
                organization_id=shop.org.pk if index % 3 else None,
                person_id=shop.person.pk,
                owner=owner,
                currency="USD" if index % 5 == 0 else "EUR",
                issue_date=DAY + dt.timedelta(days=index % 200),
                issued_at=timezone.now(),
                due_date=DAY,
                net_total=Decimal(index % 997) + Decimal("0.99"),
                tax_total=Decimal(0),
                gross_total=Decimal(index % 997) + Decimal("0.99"),
                cost_total=Decimal("0.50") if index % 2 else None,
            )
        )
    Invoice.objects.bulk_create(batch, batch_size=5000)


def _peak(consume) -> int:
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fifty_thousand_rows_stream_in_little_memory(people, shop):
    _bulk_invoices(shop, people["anna"], 50_000)
    count = {"rows": 0, "net": Decimal(0)}

    def stream():
        for row in revenue_transactions(batch=True, chunk_size=1000):
            count["rows"] += 1
            count["net"] += row.net

    streamed = _peak(stream)
    held = _peak(lambda: list(revenue_transactions(batch=True, chunk_size=1000)))
    assert count["rows"] == 50_000
    # Holding every row costs megabytes; streaming keeps about one chunk.
    assert held > 10_000_000
    assert streamed < held / 8, (streamed, held)
    assert streamed < 3_000_000, streamed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side cursors: PostgreSQL")
def test_on_postgresql_rows_come_from_a_named_server_side_cursor(people, shop, books):
    stream = revenue_transactions(batch=True, chunk_size=2)
    first = next(stream)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, is_holdable FROM pg_cursors")
        cursors = cursor.fetchall()
    assert len(cursors) == 1
    name, holdable = cursors[0]
    assert name.startswith("_django_curs_") and holdable is False
    rest = list(stream)
    assert len([first, *rest]) == 6
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plan of PostgreSQL")
def test_on_postgresql_the_rate_is_an_index_probe(people, shop, books):
    """The rate lookup uses the unique (currency, date) index, not a scan of all rates."""
    from kundenwert.orders import selectors

    documents = selectors._revenue_queryset(None, batch=True).values_list(
        "organization_id", "person_id", "issue_date", "currency", "net_total", "cost_total"
    )
    inner, params = selectors._sql_of(documents)
    lookup = selectors._rate_lookup_sql("d")
    sql = f"SELECT r.rate FROM ({inner}) d LEFT JOIN LATERAL ({lookup}) r ON TRUE"
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "exchange_rate_unique_day" in plan, plan


# --- the customer's history ----------------------------------------------------------------------


def test_history_per_month_with_margin_and_open_balance(people, shop, books):
    months = revenue_history(people["anna"], organization_id=shop.org.pk)
    by_month = {m.month: m for m in months}
    assert months[0].month == dt.date(2026, 3, 1)
    assert months[-1].month == timezone.localdate().replace(day=1)
    # March: 200 − 100 + 88 = 188; margin 120 − 60 + 44 = 104, all known.
    # Open: gross 238.00 − 119.00 + 130.90 USD / 1.25 (104.72) = 223.72
    assert by_month[dt.date(2026, 3, 1)] == RevenueMonth(
        dt.date(2026, 3, 1), Decimal("188.00"), Decimal("104.00"), True, Decimal("223.72")
    )
    # April: no revenue; 119.00 paid.
    assert by_month[dt.date(2026, 4, 1)] == RevenueMonth(
        dt.date(2026, 4, 1), Decimal("0.00"), None, True, Decimal("104.72")
    )
    # June: 100.00 without a cost; 130.90 USD / 1.10 = 119.00 more owed.
    assert by_month[dt.date(2026, 6, 1)] == RevenueMonth(
        dt.date(2026, 6, 1), Decimal("100.00"), None, False, Decimal("223.72")
    )
    # The monthly revenue adds up to the transactions of the value engine.
    org_rows = [r for r in revenue_transactions(batch=True) if r.customer == f"o:{shop.org.pk}"]
    assert sum(m.revenue for m in months) == sum(r.net for r in org_rows) == Decimal("288.00")


def test_history_of_a_person_counts_only_documents_without_an_organisation(people, shop, books):
    months = revenue_history(people["anna"], person_id=shop.person.pk)
    assert months[0] == RevenueMonth(
        dt.date(2026, 3, 1), Decimal("19.90"), None, False, Decimal("21.29")
    )
    assert sum(m.revenue for m in months) == Decimal("19.90")


def test_history_respects_visibility(people, shop, books):
    with pytest.raises(NotFound):
        revenue_history(people["ben"], organization_id=shop.org.pk)
    assert revenue_history(people["max"], organization_id=shop.org.pk) == []
    with pytest.raises(TypeError):
        revenue_history(people["anna"])
