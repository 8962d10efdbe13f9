"""Read use cases of orders, invoices, payments and subscriptions, and the revenue they make.

Every selector that takes a `viewer` starts from `visible_to(viewer)`: orders and subscriptions
by the "order" levels, invoices, credit notes and payments by the "invoice" levels.

`revenue_transactions` is what the value engine reads: every issued invoice and credit note as
(customer, date, net amount, margin) in the base currency, streamed from a server-side cursor.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.catalog.models import ExchangeRate, base_currency
from kundenwert.catalog.selectors import rate_on
from kundenwert.contacts.models import Organization, Person
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.core.listing import Filter, ListSpec, parse_int, parse_when, run_list, sorts
from kundenwert.core.money import Money, minor_units
from kundenwert.core.pagination import Page
from kundenwert.org.policies import scope_q

from .models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    Subscription,
)
from .totals import round_amount

__all__ = [
    "CurrencyMrr",
    "Mrr",
    "RevenueMonth",
    "RevenueTransaction",
    "invoice_get",
    "invoice_list",
    "invoices_visible_to",
    "mrr",
    "order_get",
    "order_list",
    "orders_visible_to",
    "payment_list",
    "revenue_history",
    "revenue_transactions",
    "subscription_get",
    "subscription_list",
    "subscriptions_visible_to",
]

ISSUED = (Invoice.Status.ISSUED, Invoice.Status.PAID, Invoice.Status.CANCELLED)
_MONEY = DecimalField(max_digits=AMOUNT_DIGITS + 2, decimal_places=AMOUNT_PLACES)
# Divisions by exchange rates keep this many significant digits before the final rounding.
_PRECISION = 34


def _int_filter(lookup: str, name: str):
    return lambda value: Q(**{lookup: parse_int(value, name)})


def _day(value: str, name: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or len(value) != 10:
        raise ValidationError({name: [_("Enter a date as YYYY-MM-DD.")]})
    return parsed


def _choice(name: str, options: dict[str, Q]):
    def build(value: str) -> Q:
        wanted = [v for v in value.split(",") if v]
        if not wanted or set(wanted) - set(options):
            raise ValidationError({name: [_("Unknown value. Allowed: %s") % ", ".join(options)]})
        q = Q(pk__in=[])
        for item in wanted:
            q |= options[item]
        return q

    return build


def _customer_filter(value: str) -> Q:
    """`o:<id>` for an organisation's records, `p:<id>` for a person's (as the value engine)."""
    kind, _sep, number = value.partition(":")
    if kind in {"o", "p"} and number.isdigit() and len(number) < 19:
        if kind == "o":
            return Q(organization_id=int(number))
        return Q(person_id=int(number), organization__isnull=True)
    raise ValidationError({"customer": [_("Enter o:<organisation id> or p:<person id>.")]})


# --- orders --------------------------------------------------------------------------------------

ORDER_LIST = ListSpec(
    filters={
        "status": Filter(
            _choice("status", {s: Q(status=s) for s in Order.Status.values}),
            "open, delivered, cancelled (comma-separated)",
        ),
        "customer": Filter(_customer_filter, "o:<organisation id> or p:<person id>"),
        "organization": Filter(_int_filter("organization_id", "organization"), "organisation id"),
        "person": Filter(_int_filter("person_id", "person"), "person id"),
        "deal": Filter(_int_filter("deal_id", "deal"), "deal id"),
        "owner": Filter(_int_filter("owner_id", "owner"), "owner's user id"),
        "team": Filter(_int_filter("team_id", "team"), "team id"),
        "number": Filter(lambda v: Q(number=v.strip()), "the exact order number"),
        "ordered_since": Filter(
            lambda v: Q(ordered_on__gte=_day(v, "ordered_since")), "YYYY-MM-DD: on or after"
        ),
        "ordered_until": Filter(
            lambda v: Q(ordered_on__lte=_day(v, "ordered_until")), "YYYY-MM-DD: on or before"
        ),
        "updated_since": Filter(
            lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
        ),
    },
    sorts=sorts(
        ("ordered", ["ordered_on"]),
        ("number", ["number"]),
        ("updated", ["updated_at"]),
        ("gross", ["gross_total"]),
    ),
    default_sort="-ordered",
    searchable=False,
)


def orders_visible_to(viewer) -> QuerySet[Order]:
    return Order.objects.visible_to(viewer)


def order_list(*, viewer, params: dict[str, str]) -> Page:
    """Return one page of the orders `viewer` may see (newest order date first), without lines."""
    qs = orders_visible_to(viewer).select_related("organization", "person")
    return run_list(qs, ORDER_LIST, params=params)


def order_get(*, viewer, order_id: int) -> Order:
    """Return the order with its lines in `line_list`, or raise NotFound."""
    order = (
        orders_visible_to(viewer)
        .select_related("organization", "person", "owner", "team", "deal")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position"), to_attr="line_list")
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound(_("Order not found."))
    return order


# --- invoices ------------------------------------------------------------------------------------


def _sum_of(queryset: QuerySet, group: str, column: str) -> Coalesce:
    """Σ `column` over `queryset` rows whose `group` is the outer invoice, 0 when none."""
    total = (
        queryset.filter(**{group: OuterRef("pk")})
        .order_by()
        .values(group)
        .annotate(total=Sum(column))
        .values("total")
    )
    return Round(
        Coalesce(Subquery(total, output_field=_MONEY), Value(Decimal(0)), output_field=_MONEY),
        AMOUNT_PLACES,
        output_field=_MONEY,
    )


def with_balance(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate paid_total, credited_total (≤ 0) and open_balance, in one query.

    The open balance of an issued invoice is its gross total + its issued credit notes −
    its payments; drafts and credit notes have none (0).
    """
    paid = _sum_of(Payment.objects.all(), "invoice", "amount")
    credited = _sum_of(Invoice.objects.filter(status__in=ISSUED), "corrects", "gross_total")
    return queryset.annotate(paid_total=paid, credited_total=credited).annotate(
        # Rounded in SQL: SQLite adds and subtracts decimals in binary floating point, where
        # 268.69 + (−130.90) − … leaves a residue of 1e-14 instead of zero.
        open_balance=Round(
            Case(
                When(
                    Q(kind=Invoice.Kind.INVOICE) & ~Q(status=Invoice.Status.DRAFT),
                    then=F("gross_total") + F("credited_total") - F("paid_total"),
                ),
                default=Value(Decimal(0)),
                output_field=_MONEY,
            ),
            AMOUNT_PLACES,
            output_field=_MONEY,
        )
    )


def _overdue() -> Q:
    # "issued" (not paid, not cancelled) is kept exact by the services, so no arithmetic on
    # amounts is needed here (SQLite would do it in binary floating point).
    return Q(status=Invoice.Status.ISSUED, due_date__lt=timezone.localdate())


INVOICE_LIST = ListSpec(
    filters={
        "status": Filter(
            _choice(
                "status", {**{s: Q(status=s) for s in Invoice.Status.values}, "overdue": _overdue()}
            ),
            "draft, issued, paid, cancelled, overdue (comma-separated)",
        ),
        "kind": Filter(
            _choice("kind", {k: Q(kind=k) for k in Invoice.Kind.values}), "invoice, credit_note"
        ),
        "customer": Filter(_customer_filter, "o:<organisation id> or p:<person id>"),
        "organization": Filter(_int_filter("organization_id", "organization"), "organisation id"),
        "person": Filter(_int_filter("person_id", "person"), "person id"),
        "order": Filter(_int_filter("order_id", "order"), "order id"),
        "corrects": Filter(_int_filter("corrects_id", "corrects"), "id of the corrected invoice"),
        "owner": Filter(_int_filter("owner_id", "owner"), "owner's user id"),
        "team": Filter(_int_filter("team_id", "team"), "team id"),
        "number": Filter(lambda v: Q(number=v.strip()), "the exact invoice number"),
        "issued_since": Filter(
            lambda v: Q(issue_date__gte=_day(v, "issued_since")), "YYYY-MM-DD: on or after"
        ),
        "issued_until": Filter(
            lambda v: Q(issue_date__lte=_day(v, "issued_until")), "YYYY-MM-DD: on or before"
        ),
        "due_before": Filter(
            lambda v: Q(due_date__lt=_day(v, "due_before")), "YYYY-MM-DD: due before this day"
        ),
        "updated_since": Filter(
            lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
        ),
    },
    sorts=sorts(("created", ["created_at"]), ("number", ["number"]), ("updated", ["updated_at"])),
    default_sort="-created",
    searchable=False,
)


def invoices_visible_to(viewer) -> QuerySet[Invoice]:
    return Invoice.objects.visible_to(viewer)


def invoice_list(*, viewer, params: dict[str, str]) -> Page:
    """Return one page of invoices and credit notes, each with its open balance (one query).

    `status=overdue`: issued, not fully paid, and past its due date.
    """
    qs = with_balance(invoices_visible_to(viewer))
    return run_list(qs, INVOICE_LIST, params=params)


def invoice_get(*, viewer, invoice_id: int) -> Invoice:
    """Return the invoice with its balance and its lines in `line_list`, or raise NotFound."""
    invoice = (
        with_balance(invoices_visible_to(viewer))
        .select_related("organization", "person", "order", "corrects")
        .prefetch_related(
            Prefetch(
                "lines", queryset=InvoiceLine.objects.order_by("position"), to_attr="line_list"
            )
        )
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound(_("Invoice not found."))
    return invoice


def is_overdue(invoice: Invoice, on: dt.date | None = None) -> bool:
    """Tell whether an issued invoice is unpaid past its due date."""
    day = on or timezone.localdate()
    return (
        invoice.status == Invoice.Status.ISSUED
        and invoice.due_date is not None
        and invoice.due_date < day
    )


def payment_list(*, viewer, invoice_id: int) -> list[Payment]:
    """Return the payments of an invoice the viewer may see, oldest first (NotFound if hidden)."""
    if not invoices_visible_to(viewer).filter(pk=invoice_id).exists():
        raise NotFound(_("Invoice not found."))
    return list(Payment.objects.filter(invoice_id=invoice_id).order_by("paid_on", "id"))


# --- subscriptions -------------------------------------------------------------------------------


def _subscription_status(value: str) -> Q:
    today = timezone.localdate()
    options = {
        "active": Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today)),
        "upcoming": Q(start_date__gt=today),
        "ended": Q(end_date__lt=today),
        "cancelled": Q(cancelled_at__isnull=False),
    }
    return _choice("status", options)(value)


SUBSCRIPTION_LIST = ListSpec(
    filters={
        "status": Filter(_subscription_status, "active, upcoming, ended, cancelled"),
        "customer": Filter(_customer_filter, "o:<organisation id> or p:<person id>"),
        "organization": Filter(_int_filter("organization_id", "organization"), "organisation id"),
        "person": Filter(_int_filter("person_id", "person"), "person id"),
        "product": Filter(_int_filter("product_id", "product"), "product id"),
        "owner": Filter(_int_filter("owner_id", "owner"), "owner's user id"),
        "team": Filter(_int_filter("team_id", "team"), "team id"),
        "renewal_before": Filter(
            lambda v: Q(renewal_date__lt=_day(v, "renewal_before")),
            "YYYY-MM-DD: renewing before this day",
        ),
        "updated_since": Filter(
            lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
        ),
    },
    sorts=sorts(("start", ["start_date"]), ("updated", ["updated_at"]), ("amount", ["amount"])),
    default_sort="-start",
    searchable=False,
)


def subscriptions_visible_to(viewer) -> QuerySet[Subscription]:
    return Subscription.objects.visible_to(viewer)


def subscription_list(*, viewer, params: dict[str, str]) -> Page:
    """Return one page of the subscriptions `viewer` may see (latest start first)."""
    return run_list(subscriptions_visible_to(viewer), SUBSCRIPTION_LIST, params=params)


def subscription_get(*, viewer, subscription_id: int) -> Subscription:
    subscription = subscriptions_visible_to(viewer).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(_("Subscription not found."))
    return subscription


@dataclass(frozen=True)
class CurrencyMrr:
    """The monthly recurring revenue of the subscriptions in one currency."""

    currency: str
    count: int
    amount: Decimal  # per month, in `currency`, rounded to its minor units
    in_base: Decimal | None  # converted at the day's rate; None when there is no rate


@dataclass(frozen=True)
class Mrr:
    """Monthly recurring revenue on a day, in the base currency, with its parts per currency."""

    on: dt.date
    currency: str
    total: Decimal
    count: int
    by_currency: list[CurrencyMrr]

    @property
    def missing_rates(self) -> list[str]:
        """Currencies left out of `total` for want of an exchange rate on or before `on`."""
        return [part.currency for part in self.by_currency if part.in_base is None]


def mrr(viewer, on: dt.date | None = None) -> Mrr:
    """Return the monthly recurring revenue of the subscriptions `viewer` may see on `on`.

    A subscription counts while start ≤ on ≤ end (no end: until cancelled); its amount per
    period is divided by the period's months (quarter 3, year 12). Sums are exact per currency,
    converted to the base currency at the latest rate on or before `on`, and rounded once.
    One query, plus one per foreign currency for its rate.
    """
    day = on or timezone.localdate()
    active = subscriptions_visible_to(viewer).filter(
        Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gte=day))
    )
    rows = (
        active.order_by()
        .values("currency", "billing_period")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("currency", "billing_period")
    )
    monthly: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    with decimal.localcontext(prec=_PRECISION):
        for row in rows:
            months = Subscription.MONTHS[row["billing_period"]]
            monthly[row["currency"]] = (
                monthly.get(row["currency"], Decimal(0)) + Decimal(row["total"]) / months
            )
            counts[row["currency"]] = counts.get(row["currency"], 0) + row["n"]
    base = base_currency()
    base_places = minor_units(base)
    parts, total = [], Decimal(0)
    for currency, amount in sorted(monthly.items()):
        try:
            with decimal.localcontext(prec=_PRECISION):
                converted = amount / rate_on(currency, day)
        except ValidationError:
            in_base = None
        else:
            in_base = round_amount(converted, base_places)
            total += converted
        parts.append(
            CurrencyMrr(
                currency=currency,
                count=counts[currency],
                amount=round_amount(amount, minor_units(currency)),
                in_base=in_base,
            )
        )
    return Mrr(
        on=day,
        currency=base,
        total=round_amount(total, base_places),
        count=sum(counts.values()),
        by_currency=parts,
    )


# --- revenue -------------------------------------------------------------------------------------


class RevenueTransaction(NamedTuple):
    """One issued invoice (positive) or credit note (negative), as the value engine reads it.

    `customer` is "o:<organisation id>" (an organisation is the customer whenever one is set)
    or "p:<person id>"; `net` and `margin` are in the base currency at the rate of `date`;
    `margin` is None when a line's cost is unknown.
    """

    customer: str
    date: dt.date
    net: Decimal
    margin: Decimal | None


def _customers_visible_to(viewer) -> Q:
    """Records whose customer the viewer may see: the organisation, else the person."""
    org_scope = scope_q(viewer, "organization", "read")
    person_scope = scope_q(viewer, "person", "read")
    by_org = Q(organization__isnull=False)
    if org_scope is not None:
        by_org &= Q(organization__in=Organization.objects.filter(org_scope).values("pk"))
    by_person = Q(organization__isnull=True)
    if person_scope is not None:
        by_person &= Q(person__in=Person.objects.filter(person_scope).values("pk"))
    return by_org | by_person


def _revenue_queryset(viewer, *, batch: bool) -> QuerySet[Invoice]:
    if batch == (viewer is not None):
        raise TypeError("Give a viewer, or batch=True for a background job (not both).")
    documents = Invoice.objects.filter(status__in=ISSUED)
    if viewer is not None:
        documents = documents.visible_to(viewer).filter(_customers_visible_to(viewer))
    return documents.order_by()


def _sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _rate_lookup_sql(alias: str) -> str:
    """The latest rate of `alias`'s currency on or before its issue date (one index probe).

    The unique index (currency, date) of catalog_exchangerate answers it as a backward index
    scan that stops at the first row, so each probe costs O(log n).
    """
    table = connection.ops.quote_name(ExchangeRate._meta.db_table)
    return (
        f"SELECT x.rate FROM {table} x "
        f"WHERE x.currency = {alias}.currency AND x.date <= {alias}.issue_date "
        "ORDER BY x.date DESC LIMIT 1"
    )


def _to_decimal(value) -> Decimal | None:
    """Read a number SQLite returned (int, float or text) back into the Decimal it stores.

    A stored amount has at most 18 significant digits; a float of one with up to 15 round-trips
    through its shortest repr exactly.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _customer_key(organization_id, person_id) -> str:
    return f"o:{organization_id}" if organization_id is not None else f"p:{person_id}"


def _no_rate(currency: str, day) -> ValidationError:
    return ValidationError(
        _("There is no exchange rate for %(currency)s on or before %(date)s.")
        % {"currency": currency, "date": str(day)},
        code="no_exchange_rate",
    )


def revenue_transactions(
    *, viewer=None, batch: bool = False, chunk_size: int = 10_000
) -> Iterator[RevenueTransaction]:
    """Yield every issued invoice (+) and credit note (−) as a `RevenueTransaction`.

    Give a `viewer` (only documents they may read, of customers they may see) or `batch=True`
    for a background job (everything). Drafts are left out; a cancelled invoice appears with
    the credit note that cancelled it, so the two cancel out. Rows come in no particular order.

    Streamed: on PostgreSQL through a server-side (named) cursor inside a read transaction,
    `chunk_size` rows per FETCH, so memory stays flat however many rows there are; on SQLite
    the cursor steps through the result the same way. Do not write through the same database
    connection while iterating: on PostgreSQL those writes would join the stream's transaction
    (and be rolled back with it if the iteration is abandoned by an exception); collect first,
    or write from another thread.

    Conversion happens in SQL, joined per row: the rate is the latest one of the document's
    currency on or before its issue date, found by a LATERAL subquery on PostgreSQL (which the
    planner can memoise per (currency, date) pair, and which probes the unique index
    (currency, date) backwards otherwise) and by a correlated subquery on SQLite. PostgreSQL
    also divides and rounds there (numeric, exact); SQLite has no exact decimals, so there the
    division and the half-up rounding happen in Python with 34 significant digits. Raises
    ValidationError (code no_exchange_rate) for a document whose currency had no rate by its
    date — issuing refuses that, so it means a rate was removed afterwards.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise TypeError("chunk_size is a positive int.")
    documents = _revenue_queryset(viewer, batch=batch).values_list(
        "organization_id", "person_id", "issue_date", "currency", "net_total", "cost_total"
    )
    try:
        inner, params = _sql_of(documents)
    except EmptyResultSet:  # the viewer may read no invoice at all
        return iter(())
    base = base_currency()
    places = minor_units(base)
    if connection.vendor == "postgresql":
        return _stream_postgresql(inner, params, base, places, chunk_size)
    return _stream_portable(inner, params, base, places, chunk_size)


def _stream_postgresql(inner: str, params: tuple, base: str, places: int, chunk_size: int):
    sql = (
        "SELECT d.organization_id, d.person_id, d.issue_date, d.currency, "
        f"CASE WHEN d.currency = %s THEN ROUND(d.net_total, {places}) "
        f"ELSE ROUND(d.net_total / r.rate, {places}) END, "
        f"CASE WHEN d.currency = %s THEN ROUND(d.net_total - d.cost_total, {places}) "
        f"ELSE ROUND((d.net_total - d.cost_total) / r.rate, {places}) END, "
        "r.rate "
        f"FROM ({inner}) d "
        f"LEFT JOIN LATERAL ({_rate_lookup_sql('d')}) r ON TRUE"
    )
    args = (base, base, *params)
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    # Inside a transaction the named cursor is not declared WITH HOLD, so PostgreSQL streams it
    # instead of materialising the whole result when an autocommit statement would end.
    with transaction.atomic():
        cursor = connection.chunked_cursor() if server_side else connection.cursor()
        with cursor:
            cursor.execute(sql, args)
            while rows := cursor.fetchmany(chunk_size):
                for org_id, person_id, day, currency, net, margin, rate in rows:
                    if rate is None and currency != base:
                        raise _no_rate(currency, day)
                    yield RevenueTransaction(_customer_key(org_id, person_id), day, net, margin)


def _stream_portable(inner: str, params: tuple, base: str, places: int, chunk_size: int):
    sql = (
        "SELECT d.organization_id, d.person_id, d.issue_date, d.currency, d.net_total, "
        f"d.cost_total, ({_rate_lookup_sql('d')}) FROM ({inner}) d"
    )
    quantum = Decimal(1).scaleb(-places)
    context = decimal.Context(prec=_PRECISION, rounding=decimal.ROUND_HALF_UP)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for org_id, person_id, day, currency, net, cost, rate in rows:
                if isinstance(day, str):
                    day = dt.date.fromisoformat(day)
                net, cost = _to_decimal(net), _to_decimal(cost)
                if currency == base:
                    divisor = Decimal(1)
                elif rate is None:
                    raise _no_rate(currency, day)
                else:
                    divisor = _to_decimal(rate)
                net_base = context.divide(net, divisor).quantize(quantum, context=context)
                margin = None
                if cost is not None:
                    margin = context.divide(net - cost, divisor).quantize(quantum, context=context)
                yield RevenueTransaction(
                    _customer_key(org_id, person_id), day, _plain(net_base), _plain(margin)
                )


def _plain(amount: Decimal | None) -> Decimal | None:
    """No negative zero ("-0.00" reads as a refund of nothing)."""
    if amount is None:
        return None
    return amount.copy_abs() if amount.is_zero() else amount


@dataclass(frozen=True)
class RevenueMonth:
    """A customer's revenue in one month, in the base currency.

    `revenue`: net of the invoices and credit notes issued in the month; `margin`: their net
    minus cost where the cost is known (None when it is known for none), `margin_complete`
    whether it was known for all; `open_balance`: what the customer owed at the month's end
    (gross, converted at each invoice's rate; negative: a credit in the customer's favour).
    """

    month: dt.date
    revenue: Decimal
    margin: Decimal | None
    margin_complete: bool
    open_balance: Decimal


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def revenue_history(
    viewer, *, organization_id: int | None = None, person_id: int | None = None
) -> list[RevenueMonth]:
    """Return a customer's revenue, margin and open balance per month, oldest first.

    The customer is an organisation, or a person as a customer in their own right (documents
    with no organisation). Only documents the viewer may read count; a customer the viewer may
    not see is NotFound. Months run from the first issued document to the current month, gaps
    filled with zeros; no documents: an empty list. Amounts are converted to the base currency
    at the rate of each invoice's issue date (payments at their invoice's rate, so a fully paid
    invoice leaves no balance).
    """
    if (organization_id is None) == (person_id is None):
        raise TypeError("Give organization_id or person_id.")
    if organization_id is not None:
        if not Organization.objects.visible_to(viewer).filter(pk=organization_id).exists():
            raise NotFound(_("Organisation not found."))
        customer = Q(organization_id=organization_id)
    else:
        if not Person.objects.visible_to(viewer).filter(pk=person_id).exists():
            raise NotFound(_("Person not found."))
        customer = Q(person_id=person_id, organization__isnull=True)
    rate = Subquery(
        ExchangeRate.objects.filter(currency=OuterRef("currency"), date__lte=OuterRef("issue_date"))
        .order_by("-date")
        .values("rate")[:1]
    )
    documents = list(
        invoices_visible_to(viewer)
        .filter(customer, status__in=ISSUED)
        .annotate(rate=rate)
        .values(
            "pk", "kind", "issue_date", "currency", "net_total", "gross_total", "cost_total", "rate"
        )
        .order_by("issue_date", "pk")
    )
    if not documents:
        return []
    base = base_currency()
    places = minor_units(base)

    def in_base(amount, document) -> Decimal:
        """Convert at the document's rate and round, as revenue_transactions does."""
        if document["currency"] == base:
            return round_amount(Decimal(amount), places)
        if document["rate"] is None:
            raise _no_rate(document["currency"], document["issue_date"])
        with decimal.localcontext(prec=_PRECISION):
            return round_amount(Decimal(amount) / Decimal(document["rate"]), places)

    by_id = {d["pk"]: d for d in documents}
    # (day, change of what the customer owes, in the base currency)
    changes: list[tuple[dt.date, Decimal]] = [
        (d["issue_date"], in_base(d["gross_total"], d)) for d in documents
    ]
    for invoice_id, paid_on, amount in Payment.objects.filter(invoice_id__in=by_id).values_list(
        "invoice_id", "paid_on", "amount"
    ):
        changes.append((paid_on, -in_base(amount, by_id[invoice_id])))
    changes.sort(key=lambda change: change[0])
    months: list[RevenueMonth] = []
    current, last = _month(documents[0]["issue_date"]), _month(timezone.localdate())
    last = max(last, _month(documents[-1]["issue_date"]))
    doc_index = change_index = 0
    zero = round_amount(Decimal(0), places)
    balance = zero
    while current <= last:
        after = _next_month(current)
        revenue, margin, known, unknown = zero, zero, 0, 0
        while doc_index < len(documents) and documents[doc_index]["issue_date"] < after:
            document = documents[doc_index]
            net = in_base(document["net_total"], document)
            revenue += net
            if document["cost_total"] is None:
                unknown += 1
            else:
                margin += in_base(Decimal(document["net_total"]) - document["cost_total"], document)
                known += 1
            doc_index += 1
        while change_index < len(changes) and changes[change_index][0] < after:
            balance += changes[change_index][1]
            change_index += 1
        months.append(
            RevenueMonth(
                month=current,
                revenue=_plain(revenue),
                margin=_plain(margin) if known else None,
                margin_complete=unknown == 0,
                open_balance=_plain(balance),
            )
        )
        current = after
    return months


def money_text(amount: Decimal | None, currency: str) -> str | None:
    """Write an amount with exactly the currency's places (what the API and pages show)."""
    if amount is None:
        return None
    return str(Money(Decimal(amount), currency).quantize().amount)
