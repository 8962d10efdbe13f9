"""Service tests for invoices, credit notes and payments: drafts, gapless numbers, immutability."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.services import exchange_rate_set
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.orders.models import Invoice, InvoiceLine, NumberSequence, Payment
from kundenwert.orders.numbering import format_number, next_number
from kundenwert.orders.selectors import invoice_get, is_overdue, payment_list
from kundenwert.orders.services import (
    credit_note_create,
    invoice_create_from_order,
    invoice_discard,
    invoice_issue,
    open_balance_of,
    payment_record,
)
from kundenwert.orders.signals import invoice_issued, payment_recorded
from tests.core.state import events_since, last_event_id, one_event
from tests.orders.factories import DAY, issued_invoice, line, make_order, orders_unchanged

Verb = AuditEvent.Verb


@pytest.fixture
def order(people, shop):
    """anna's order: 3 × software at 100.00 (19 %) and 2 books at 19.90 (7 %)."""
    return make_order(people["anna"], shop.org, line(shop.software, "3"), line(shop.book, "2"))


@pytest.fixture
def mia(people):
    """The manager of team Nord: she bills anna's customers."""
    return people["mia"]


def balance(invoice: Invoice) -> Decimal:
    return open_balance_of(Invoice.objects.get(pk=invoice.pk))


# --- drafting ------------------------------------------------------------------------------------


def test_a_draft_copies_the_orders_customer_lines_and_totals(people, shop, order, mia):
    with one_event(Verb.CREATE) as watch:
        draft = invoice_create_from_order(actor=mia, order_id=order.pk)
    stored = Invoice.objects.get(pk=draft.pk)
    assert (stored.kind, stored.status, stored.number, stored.issue_date) == (
        "invoice",
        "draft",
        "",
        None,
    )
    assert (stored.organization, stored.owner, stored.team) == (shop.org, order.owner, order.team)
    assert (stored.net_total, stored.tax_total, stored.gross_total, stored.cost_total) == (
        Decimal("339.80"),
        Decimal("59.79"),  # 57.00 + 2.786 → 2.79
        Decimal("399.59"),
        None,
    )
    assert stored.payment_terms_days == 14
    copied = list(stored.lines.order_by("position"))
    assert [(li.description, li.quantity, li.net, li.order_line_id) for li in copied] == [
        (ol.description, ol.quantity, ol.net, ol.pk) for ol in order.lines.order_by("position")
    ]
    assert watch.events[0].target_type == "invoice"
    assert balance(stored) == 0  # a draft owes nothing yet


def test_an_order_has_one_live_invoice(people, order, mia):
    draft = invoice_create_from_order(actor=mia, order_id=order.pk)
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        invoice_create_from_order(actor=mia, order_id=order.pk)
    assert (caught.value.code, caught.value.detail) == (
        "already_invoiced",
        "This order already has an invoice (draft).",
    )
    invoice_discard(actor=mia, invoice_id=draft.pk)
    assert not Invoice.objects.exists()
    assert invoice_create_from_order(actor=mia, order_id=order.pk).status == "draft"


def test_sales_reps_may_not_bill_and_outsiders_do_not_see_the_order(people, order):
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        invoice_create_from_order(actor=people["anna"], order_id=order.pk)
    with orders_unchanged(), pytest.raises(NotFound):
        invoice_create_from_order(actor=people["ben"], order_id=order.pk)
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        invoice_create_from_order(actor=people["mia"], order_id=order.pk, payment_terms_days=-1)
    assert list(caught.value.message_dict) == ["payment_terms_days"]


# --- issuing -------------------------------------------------------------------------------------


def test_issue_numbers_the_invoice_and_sets_the_due_date(
    people, order, mia, django_capture_on_commit_callbacks
):
    draft = invoice_create_from_order(actor=mia, order_id=order.pk, payment_terms_days=30)
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    invoice_issued.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True), one_event(Verb.UPDATE) as watch:
            issued = invoice_issue(actor=mia, invoice_id=draft.pk, issue_date="2026-03-02")
    finally:
        invoice_issued.disconnect(receiver)
    stored = Invoice.objects.get(pk=draft.pk)
    assert (stored.number, stored.status, stored.issue_date, stored.due_date) == (
        "R-2026-00001",
        "issued",
        DAY,
        dt.date(2026, 4, 1),
    )
    assert stored.issued_at is not None and issued.version == 2
    assert watch.events[0].changes["number"] == ["", "R-2026-00001"]
    assert [r["invoice_id"] for r in received] == [draft.pk]
    assert received[0]["net_total"] == Decimal("339.80")
    assert balance(stored) == Decimal("399.59")


def test_an_issued_invoice_never_changes(people, order, mia):
    invoice = issued_invoice(mia, order)
    for attempt in (
        lambda: invoice_issue(actor=mia, invoice_id=invoice.pk),
        lambda: invoice_discard(actor=mia, invoice_id=invoice.pk),
    ):
        with orders_unchanged(), pytest.raises(ConflictError) as caught:
            attempt()
        assert caught.value.code == "invoice_issued"
        assert "Correct it with a credit note" in caught.value.detail
    with orders_unchanged(), pytest.raises(ValidationError):  # and the model refuses it too
        stored = Invoice.objects.get(pk=invoice.pk)
        stored.number = ""
        stored.full_clean()


def test_a_future_date_and_a_stale_version_are_refused_without_taking_a_number(people, order, mia):
    draft = invoice_create_from_order(actor=mia, order_id=order.pk)
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        invoice_issue(actor=mia, invoice_id=draft.pk, issue_date=tomorrow)
    assert caught.value.message_dict == {
        "issue_date": ["An invoice cannot be dated in the future."]
    }
    with orders_unchanged(), pytest.raises(PreconditionFailed):
        invoice_issue(actor=mia, invoice_id=draft.pk, expected_version=9)
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        invoice_issue(actor=people["anna"], invoice_id=draft.pk)
    assert not NumberSequence.objects.filter(key="invoice").exists()


def test_a_draft_that_fails_validation_consumes_no_number(people, shop, mia):
    anna = people["anna"]
    euro = make_order(anna, shop.org, line(shop.software))
    dollars = make_order(
        anna, shop.org, line(quantity="1", description="Import", unit_price="10"), currency="USD"
    )
    dollar_draft = invoice_create_from_order(actor=mia, order_id=dollars.pk)
    # No USD rate is that old: the issue is refused and the number stays free.
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        invoice_issue(actor=mia, invoice_id=dollar_draft.pk, issue_date="2025-12-31")
    assert caught.value.message_dict == {
        "issue_date": ["There is no exchange rate for USD on or before 2025-12-31."]
    }
    assert issued_invoice(mia, euro).number == "R-2026-00001"
    issued = invoice_issue(actor=mia, invoice_id=dollar_draft.pk, issue_date=DAY)
    assert issued.number == "R-2026-00002"
    assert NumberSequence.objects.get(key="invoice", year=2026).last_number == 2


def test_issuing_in_sequence_leaves_no_gap_across_years_and_series(people, shop, mia):
    anna = people["anna"]
    numbers = []
    for day in (DAY, DAY, dt.date(2025, 12, 30), DAY):
        order = make_order(
            anna,
            shop.org,
            line(quantity="1", description="Service", unit_price="100"),
            ordered_on=dt.date(2025, 12, 1),
        )
        numbers.append(issued_invoice(mia, order, issue_date=day).number)
    assert numbers == ["R-2026-00001", "R-2026-00002", "R-2025-00001", "R-2026-00003"]
    note = credit_note_create(actor=mia, invoice_id=Invoice.objects.get(number=numbers[0]).pk)
    assert invoice_issue(actor=mia, invoice_id=note.pk, issue_date=DAY).number == "G-2026-00001"


def test_prefixes_come_from_the_settings(people, settings, db):
    settings.DOCUMENT_NUMBER_PREFIXES = {"invoice": "RE"}
    assert format_number("invoice", 2026, 42) == "RE-2026-00042"
    assert format_number("credit_note", 2026, 3) == "G-2026-00003"
    assert format_number("order", 2026, 123456) == "B-2026-123456"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_next_number_refuses_to_run_outside_a_transaction():
    from django.db import transaction

    with pytest.raises(transaction.TransactionManagementError):
        next_number("invoice", 2026)


# --- payments ------------------------------------------------------------------------------------


def test_partial_payments_reduce_the_balance_until_paid(
    people, order, mia, django_capture_on_commit_callbacks
):
    invoice = issued_invoice(mia, order)
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    payment_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True), one_event(Verb.CREATE) as watch:
            first = payment_record(
                actor=mia, invoice_id=invoice.pk, amount="100.00", paid_on="2026-03-10",
                reference="SEPA 1",
            )  # fmt: skip
    finally:
        payment_recorded.disconnect(receiver)
    assert (first.amount, first.paid_on, first.method, first.recorded_by) == (
        Decimal("100.00"),
        dt.date(2026, 3, 10),
        "bank_transfer",
        mia,
    )
    assert watch.events[0].target_type == "payment"
    assert watch.events[0].changes["amount"] == [None, "100.00"]
    assert received[0]["amount"] == Decimal("100.00")
    assert balance(invoice) == Decimal("299.59")
    payment_record(actor=mia, invoice_id=invoice.pk, amount=Decimal("200"), paid_on=DAY)
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    mark = last_event_id()
    payment_record(actor=mia, invoice_id=invoice.pk, amount="99.59", method="card")
    events = events_since(mark)
    assert [(e.verb, e.target_type) for e in events] == [
        (Verb.CREATE, "payment"),
        (Verb.UPDATE, "invoice"),
    ]
    assert events[1].changes == {"status": ["issued", "paid"]}
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, balance(stored)) == ("paid", Decimal("0.00"))
    assert [p.amount for p in payment_list(viewer=mia, invoice_id=invoice.pk)] == [
        Decimal("200.00"),
        Decimal("100.00"),
        Decimal("99.59"),
    ]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("399.60", "The payment exceeds the open balance of 399.59 EUR."),
        ("0", "Enter an amount greater than zero."),
        ("-5", "Enter an amount greater than zero."),
        ("1.001", "Amounts in EUR have at most 2 decimal places."),
        (1.5, "Enter the number as a decimal string, e.g. “12.50”."),
        ("abc", "Enter a number."),
    ],
)
def test_a_bad_payment_is_refused_and_nothing_changes(people, order, mia, amount, message):
    invoice = issued_invoice(mia, order)
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        payment_record(actor=mia, invoice_id=invoice.pk, amount=amount)
    assert caught.value.message_dict == {"amount": [message]}


def test_a_payment_beyond_the_balance_after_earlier_payments_is_refused(people, order, mia):
    invoice = issued_invoice(mia, order)
    payment_record(actor=mia, invoice_id=invoice.pk, amount="399.00")
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        payment_record(actor=mia, invoice_id=invoice.pk, amount="0.60")
    assert caught.value.message_dict == {
        "amount": ["The payment exceeds the open balance of 0.59 EUR."]
    }


def test_payments_need_an_issued_invoice_and_the_billing_level(people, order, mia):
    draft = invoice_create_from_order(actor=mia, order_id=order.pk)
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        payment_record(actor=mia, invoice_id=draft.pk, amount="1.00")
    assert caught.value.code == "draft"
    invoice = invoice_issue(actor=mia, invoice_id=draft.pk, issue_date=DAY)
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        payment_record(actor=people["anna"], invoice_id=invoice.pk, amount="1.00")
    with orders_unchanged(), pytest.raises(NotFound):
        payment_record(actor=people["ben"], invoice_id=invoice.pk, amount="1.00")
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        payment_record(
            actor=mia,
            invoice_id=invoice.pk,
            amount="1.00",
            paid_on=dt.date.today() + dt.timedelta(days=3),
            method="bitcoin",
        )
    assert sorted(caught.value.message_dict) == ["method", "paid_on"]


def test_overdue_is_derived_from_the_due_date_and_the_balance(people, order, mia):
    invoice = issued_invoice(mia, order, payment_terms_days=14)
    assert is_overdue(invoice, on=dt.date(2026, 3, 16)) is False
    assert is_overdue(invoice, on=dt.date(2026, 3, 17)) is True
    payment_record(actor=mia, invoice_id=invoice.pk, amount="399.59")
    assert is_overdue(Invoice.objects.get(pk=invoice.pk), on=dt.date(2026, 3, 17)) is False


# --- credit notes --------------------------------------------------------------------------------


def test_a_full_credit_note_cancels_the_invoice_and_clears_the_balance(people, order, mia):
    invoice = issued_invoice(mia, order)
    with one_event(Verb.CREATE):
        note = credit_note_create(actor=mia, invoice_id=invoice.pk)
    assert (note.kind, note.status, note.corrects, note.number) == (
        "credit_note",
        "draft",
        invoice,
        "",
    )
    assert (note.net_total, note.tax_total, note.gross_total) == (
        Decimal("-339.80"),
        Decimal("-59.79"),
        Decimal("-399.59"),
    )
    lines = list(note.lines.order_by("position"))
    assert [(li.quantity, li.net, li.corrected_line.position) for li in lines] == [
        (Decimal("-3"), Decimal("-300.00"), 1),
        (Decimal("-2"), Decimal("-39.80"), 2),
    ]
    assert balance(invoice) == Decimal("399.59")  # a draft credit note changes nothing yet
    issued = invoice_issue(actor=mia, invoice_id=note.pk, issue_date=DAY)
    assert (issued.number, issued.due_date) == ("G-2026-00001", None)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, balance(stored)) == ("cancelled", Decimal("0.00"))
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        payment_record(actor=mia, invoice_id=invoice.pk, amount="1.00")
    assert caught.value.code == "invoice_cancelled"
    with orders_unchanged(), pytest.raises(ConflictError):
        credit_note_create(actor=mia, invoice_id=invoice.pk)
    # The order can be invoiced again once its invoice is cancelled.
    assert invoice_create_from_order(actor=mia, order_id=order.pk).status == "draft"


def test_a_partial_credit_after_a_partial_payment_makes_the_balance_right(people, order, mia):
    invoice = issued_invoice(mia, order)
    payment_record(actor=mia, invoice_id=invoice.pk, amount="150.00")
    software = invoice.lines.get(position=1)
    note = credit_note_create(
        actor=mia,
        invoice_id=invoice.pk,
        lines=[
            {"invoice_line_id": software.pk, "quantity": "1"},
            {"description": "Goodwill", "quantity": "1", "unit_price": "10", "tax_rate": "19"},
        ],
    )
    # −(100 + 10) net, −20.90 tax
    assert (note.net_total, note.tax_total, note.gross_total) == (
        Decimal("-110.00"),
        Decimal("-20.90"),
        Decimal("-130.90"),
    )
    invoice_issue(actor=mia, invoice_id=note.pk, issue_date=DAY)
    # 399.59 − 130.90 − 150.00
    assert balance(invoice) == Decimal("118.69")
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    payment_record(actor=mia, invoice_id=invoice.pk, amount="118.69")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    detail = invoice_get(viewer=mia, invoice_id=invoice.pk)
    assert (detail.paid_total, detail.credited_total, detail.open_balance) == (
        Decimal("268.69"),
        Decimal("-130.90"),
        Decimal("0"),
    )


def test_credit_notes_never_take_back_more_than_was_invoiced(people, order, mia):
    invoice = issued_invoice(mia, order)
    software = invoice.lines.get(position=1)
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        credit_note_create(
            actor=mia,
            invoice_id=invoice.pk,
            lines=[{"invoice_line_id": software.pk, "quantity": "4"}],
        )
    assert caught.value.message_dict == {"lines.0.quantity": ["At most 3, the quantity invoiced."]}
    first = credit_note_create(
        actor=mia, invoice_id=invoice.pk, lines=[{"invoice_line_id": software.pk, "quantity": "2"}]
    )
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        credit_note_create(
            actor=mia,
            invoice_id=invoice.pk,
            lines=[{"invoice_line_id": software.pk, "quantity": "2"}],
        )
    assert caught.value.message_dict == {"lines": ["Line 1 can be credited for at most 1 more."]}
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        credit_note_create(
            actor=mia,
            invoice_id=invoice.pk,
            lines=[{"description": "Too much", "quantity": "1", "unit_price": "1000"}],
        )
    assert caught.value.message_dict == {
        "lines": ["The credit note exceeds what is left to credit on R-2026-00001 (161.59)."]
    }
    # Discarding the first draft frees its quantity again.
    invoice_discard(actor=mia, invoice_id=first.pk)
    note = credit_note_create(actor=mia, invoice_id=invoice.pk)
    assert [li.quantity for li in note.lines.order_by("position")] == [Decimal(-3), Decimal(-2)]


def test_issuing_re_checks_what_is_left_to_credit(people, order, mia):
    invoice = issued_invoice(mia, order)
    software = invoice.lines.get(position=1)
    spec = [{"invoice_line_id": software.pk, "quantity": "2"}]
    first = credit_note_create(actor=mia, invoice_id=invoice.pk, lines=spec)
    invoice_discard(actor=mia, invoice_id=first.pk)
    first = credit_note_create(actor=mia, invoice_id=invoice.pk, lines=spec)
    # Two drafts cannot both exist for the same quantity …
    with pytest.raises(ValidationError):
        credit_note_create(actor=mia, invoice_id=invoice.pk, lines=spec)
    invoice_issue(actor=mia, invoice_id=first.pk, issue_date=DAY)
    # … and after issuing, only one more unit of software is left.
    with orders_unchanged(), pytest.raises(ValidationError):
        credit_note_create(actor=mia, invoice_id=invoice.pk, lines=spec)


def test_credit_notes_of_drafts_and_of_credit_notes_are_refused(people, order, mia):
    draft = invoice_create_from_order(actor=mia, order_id=order.pk)
    with orders_unchanged(), pytest.raises(ConflictError) as caught:
        credit_note_create(actor=mia, invoice_id=draft.pk)
    assert "discarded" in caught.value.detail
    invoice = invoice_issue(actor=mia, invoice_id=draft.pk, issue_date=DAY)
    note = credit_note_create(actor=mia, invoice_id=invoice.pk)
    with orders_unchanged(), pytest.raises(ConflictError):
        credit_note_create(actor=mia, invoice_id=note.pk)
    with orders_unchanged(), pytest.raises(ConflictError):
        payment_record(actor=mia, invoice_id=note.pk, amount="1.00")
    with orders_unchanged(denied=1), pytest.raises(PermissionDenied):
        credit_note_create(actor=people["anna"], invoice_id=invoice.pk)


def test_a_bad_credit_line_is_named(people, order, mia):
    invoice = issued_invoice(mia, order)
    with orders_unchanged(), pytest.raises(ValidationError) as caught:
        credit_note_create(
            actor=mia,
            invoice_id=invoice.pk,
            lines=[
                {"invoice_line_id": 999999},
                {"description": "x", "quantity": "0", "unit_price": "1"},
                {"product_id": order.lines.first().product_id, "quantity": "1"},
            ],
        )
    assert caught.value.message_dict == {
        "lines.0.invoice_line_id": ["No line of this invoice has this id."],
        "lines.1.quantity": ["Enter a number greater than zero."],
        "lines.2.unit_price": ["Enter the unit price to credit."],
    }
    assert not InvoiceLine.objects.filter(invoice__kind="credit_note").exists()
    assert Payment.objects.count() == 0


def test_a_credit_note_of_a_dollar_invoice_keeps_its_currency(people, shop, mia):
    order = make_order(
        people["anna"], shop.org, line(quantity="2", description="Import", unit_price="10.005"),
        currency="USD",
    )  # fmt: skip
    exchange_rate_set(actor=mia, currency="USD", date=DAY, rate="1.2")
    invoice = issued_invoice(mia, order)
    note = credit_note_create(actor=mia, invoice_id=invoice.pk)
    assert (note.currency, note.gross_total) == ("USD", -invoice.gross_total)
