"""REST resources of orders, invoices (with credit notes) and payments, and subscriptions.

Amounts, quantities and percentages travel as JSON strings ("1234.50"), never as numbers: a
JSON number is read as a binary float by most clients, and is refused here with a 422. Output
amounts have exactly the document currency's places.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Header, Path, Query, Router, Schema
from pydantic import AfterValidator, Field, StrictBool, StrictInt

from kundenwert.orders import selectors, services
from kundenwert.orders.models import Invoice, Order, Payment, Subscription
from kundenwert.orders.selectors import is_overdue, money_text
from kundenwert.orders.totals import Line, compute

from .auth import reader, writer
from .common import expected_version, json, page_response, query_params
from .routers import IF_MATCH_HELP, ListQuery, responses
from .schemas import MAX_ID, Id, Strict, Text

orders = Router(tags=["orders"])
invoices = Router(tags=["invoices"])
subscriptions = Router(tags=["subscriptions"])


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


def _if_match():
    return Header(None, alias="If-Match", description=IF_MATCH_HELP)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


# --- shapes --------------------------------------------------------------------------------------

# A decimal number written as a JSON string. Signs, places and size are checked by the service,
# so that the messages name the rule ("greater than zero", "at most 4 decimal places").
Number = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        description='A decimal number as a string, e.g. "1234.50"; JSON numbers are refused',
        examples=["1234.50"],
    ),
]
AmountOut = Annotated[
    str, Field(description="Decimal string with the currency's places", examples=["1234.50"])
]
Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code"),
    AfterValidator(_no_nul),
]
OrderStatus = Literal["open", "delivered", "cancelled"]
InvoiceStatus = Literal["draft", "issued", "paid", "cancelled"]
InvoiceKind = Literal["invoice", "credit_note"]
PaymentMethod = Literal["bank_transfer", "direct_debit", "card", "cash", "paypal", "other"]
BillingPeriod = Literal["month", "quarter", "year"]


class LineIn(Strict):
    product_id: Id | None = Field(None, description="Name, unit, tax rate, cost and price from it")
    description: Text(500) | None = Field(None, description="Default: the product's name")
    quantity: Number = Field(description="> 0, at most 4 decimal places")
    unit: Text(30) | None = Field(None, description="Default: the product's unit")
    unit_price: Number | None = Field(
        None, description="Net; default: the product's price on the order's price list"
    )
    discount_percent: Number | None = Field(None, description='"0" to "100"')
    tax_rate: Number | None = Field(
        None, description="Percent; default: the product's (else the default) tax rate"
    )
    cost_price: Number | None = Field(
        None, description="Per unit in the order currency; default: the product's, converted"
    )


class LineOut(Schema):
    id: int
    position: int
    product_id: int | None
    description: str
    quantity: str
    unit: str
    unit_price: str
    discount_percent: str
    tax_rate: str
    cost_price: str | None
    net: AmountOut


class TaxOut(Schema):
    tax_rate: str
    net: AmountOut
    tax: AmountOut


class OrderOut(Schema):
    id: int
    number: str
    organization_id: int | None
    person_id: int | None
    customer: str = Field(description='"o:<organisation id>" or "p:<person id>"')
    deal_id: int | None
    owner_id: int
    team_id: int | None
    currency: str
    ordered_on: dt.date
    price_list_id: int | None
    customer_reference: str
    notes: str
    status: OrderStatus
    delivered_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancellation_reason: str
    net_total: AmountOut
    tax_total: AmountOut
    gross_total: AmountOut
    cost_total: AmountOut | None = Field(description="null when a line's cost is unknown")
    margin: AmountOut | None
    lines: list[LineOut] | None = Field(description="With the order itself; null in lists")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class OrderList(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderIn(Strict):
    organization_id: Id | None = Field(None, description="Organisation and/or person required")
    person_id: Id | None = None
    deal_id: Id | None = Field(None, description="The deal's customer unless one is given")
    owner_id: Id | None = Field(None, description="Defaults to the acting user")
    team_id: Id | None = None
    currency: Currency | None = Field(None, description="Default: the price list's, else EUR")
    ordered_on: dt.date | None = Field(None, description="Default: today")
    price_list_id: Id | None = None
    customer_reference: Text(100) = ""
    notes: Text(10_000) = ""
    lines: list[LineIn] = Field(..., min_length=1, max_length=500)


class OrderPatch(Strict):
    organization_id: Id | None = None
    person_id: Id | None = None
    deal_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    currency: Currency | None = Field(None, description="Needs `lines` too")
    ordered_on: dt.date | None = Field(None, description="Needs `lines` too")
    price_list_id: Id | None = Field(None, description="Needs `lines` too")
    customer_reference: Text(100) | None = None
    notes: Text(10_000) | None = None
    lines: list[LineIn] | None = Field(
        None, min_length=1, max_length=500, description="Replace all lines"
    )


class CancelIn(Strict):
    reason: Text(500) = ""


class DraftIn(Strict):
    payment_terms_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = Field(
        None, description="Default: 14 (setting INVOICE_PAYMENT_TERMS_DAYS)"
    )


class InvoiceOut(Schema):
    id: int
    kind: InvoiceKind
    number: str = Field(description='Empty for a draft, e.g. "R-2026-00042" once issued')
    status: InvoiceStatus
    is_overdue: bool
    corrects_id: int | None = Field(description="The invoice a credit note corrects")
    order_id: int | None
    organization_id: int | None
    person_id: int | None
    customer: str
    owner_id: int
    team_id: int | None
    currency: str
    customer_reference: str
    issue_date: dt.date | None
    payment_terms_days: int
    due_date: dt.date | None
    issued_at: dt.datetime | None
    net_total: AmountOut = Field(description="Negative for a credit note")
    tax_total: AmountOut
    gross_total: AmountOut
    cost_total: AmountOut | None
    margin: AmountOut | None
    paid_total: AmountOut
    credited_total: AmountOut = Field(description="Σ issued credit notes (≤ 0)")
    open_balance: AmountOut = Field(description="gross + credited − paid; 0 for drafts")
    taxes: list[TaxOut] | None = Field(description="Per tax rate; null in lists")
    lines: list[LineOut] | None = Field(description="null in lists")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class InvoiceList(Schema):
    items: list[InvoiceOut]
    next_cursor: str | None


class IssueIn(Strict):
    issue_date: dt.date | None = Field(None, description="Default: today; never in the future")


class CreditLineIn(Strict):
    invoice_line_id: Id | None = Field(
        None, description="Credit (part of) this invoiced line at its price and tax"
    )
    product_id: Id | None = None
    description: Text(500) | None = None
    quantity: Number | None = Field(
        None, description="Positive; for an invoiced line default: all of what is left"
    )
    unit: Text(30) | None = None
    unit_price: Number | None = Field(None, description="Positive; required for a free line")
    discount_percent: Number | None = None
    tax_rate: Number | None = None
    cost_price: Number | None = None


class CreditNoteIn(Strict):
    lines: list[CreditLineIn] | None = Field(
        None, min_length=1, max_length=500, description="Omitted: credit everything left"
    )
    issue: StrictBool = Field(
        False, description="Issue it at once (today), in the same transaction"
    )


class PaymentOut(Schema):
    id: int
    invoice_id: int
    amount: AmountOut
    currency: str
    paid_on: dt.date
    method: PaymentMethod
    reference: str
    recorded_by_id: int | None
    created_at: dt.datetime


class PaymentList(Schema):
    items: list[PaymentOut]


class PaymentIn(Strict):
    amount: Number = Field(description="> 0, at most the open balance, currency's places")
    paid_on: dt.date | None = Field(None, description="Default: today; never in the future")
    method: PaymentMethod = "bank_transfer"
    reference: Text(200) = ""


class SubscriptionOut(Schema):
    id: int
    organization_id: int | None
    person_id: int | None
    customer: str
    owner_id: int
    team_id: int | None
    product_id: int | None
    description: str
    amount: AmountOut = Field(description="Per billing period")
    currency: str
    billing_period: BillingPeriod
    monthly_amount: AmountOut = Field(description="amount / months of the period, rounded")
    start_date: dt.date
    end_date: dt.date | None
    renewal_date: dt.date | None
    cancelled_at: dt.datetime | None
    cancellation_reason: str
    is_active: bool = Field(description="Runs today")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class SubscriptionList(Schema):
    items: list[SubscriptionOut]
    next_cursor: str | None


class SubscriptionIn(Strict):
    organization_id: Id | None = Field(None, description="Organisation and/or person required")
    person_id: Id | None = None
    owner_id: Id | None = Field(None, description="Defaults to the acting user")
    team_id: Id | None = None
    product_id: Id | None = None
    description: Text(500) | None = Field(None, description="Default: the product's name")
    amount: Number | None = Field(
        None, description="Per period; default: the product's price on the default list"
    )
    currency: Currency = "EUR"
    billing_period: BillingPeriod | None = Field(None, description="Default: the product's")
    start_date: dt.date | None = Field(None, description="Default: today")
    end_date: dt.date | None = Field(None, description="Last day of service; null: open-ended")
    renewal_date: dt.date | None = Field(None, description="Default: start + one period")


class SubscriptionPatch(Strict):
    organization_id: Id | None = None
    person_id: Id | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    product_id: Id | None = None
    description: Text(500) | None = None
    amount: Number | None = None
    currency: Currency | None = None
    billing_period: BillingPeriod | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    renewal_date: dt.date | None = None


class SubscriptionCancelIn(Strict):
    reason: Text(500, 1)
    end_date: dt.date | None = Field(
        None, description="Last day of service; default: the end of the current term"
    )


class CurrencyMrrOut(Schema):
    currency: str
    count: int
    amount: AmountOut = Field(description="Per month, in `currency`")
    in_base: AmountOut | None = Field(description="null: no exchange rate for the day")


class MrrOut(Schema):
    on: dt.date
    currency: str = Field(description="The base currency")
    total: AmountOut
    count: int
    by_currency: list[CurrencyMrrOut]
    missing_rates: list[str] = Field(description="Currencies left out of `total`")


class OrderQuery(ListQuery):
    sort: str | None = Field(
        None, description="-ordered (default), ordered, number, -number, updated, gross, …"
    )
    status: str | None = Field(None, description="open, delivered, cancelled; comma-separated")
    customer: str | None = Field(None, description="o:<organisation id> or p:<person id>")
    organization: int | None = Field(None, ge=1, le=MAX_ID)
    person: int | None = Field(None, ge=1, le=MAX_ID)
    deal: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    number: str | None = None
    ordered_since: dt.date | None = None
    ordered_until: dt.date | None = None
    updated_since: str | None = Field(None, description="ISO 8601 date or date-time")


class InvoiceQuery(ListQuery):
    sort: str | None = Field(
        None, description="-created (default), created, number, -number, updated, -updated"
    )
    status: str | None = Field(
        None, description="draft, issued, paid, cancelled, overdue; comma-separated"
    )
    kind: str | None = Field(None, description="invoice, credit_note")
    customer: str | None = Field(None, description="o:<organisation id> or p:<person id>")
    organization: int | None = Field(None, ge=1, le=MAX_ID)
    person: int | None = Field(None, ge=1, le=MAX_ID)
    order: int | None = Field(None, ge=1, le=MAX_ID)
    corrects: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    number: str | None = None
    issued_since: dt.date | None = None
    issued_until: dt.date | None = None
    due_before: dt.date | None = None
    updated_since: str | None = Field(None, description="ISO 8601 date or date-time")


class SubscriptionQuery(ListQuery):
    sort: str | None = Field(
        None, description="-start (default), start, updated, -updated, amount, -amount"
    )
    status: str | None = Field(None, description="active, upcoming, ended, cancelled")
    customer: str | None = Field(None, description="o:<organisation id> or p:<person id>")
    organization: int | None = Field(None, ge=1, le=MAX_ID)
    person: int | None = Field(None, ge=1, le=MAX_ID)
    product: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    renewal_before: dt.date | None = None
    updated_since: str | None = Field(None, description="ISO 8601 date or date-time")


class MrrQuery(Schema):
    on: dt.date | None = Field(None, description="Default: today")


# --- presenting ----------------------------------------------------------------------------------


def _customer(record) -> str:
    return record.customer_key


def _line(line, currency: str) -> dict:
    return {
        "id": line.pk,
        "position": line.position,
        "product_id": line.product_id,
        "description": line.description,
        "quantity": f"{line.quantity.normalize():f}",
        "unit": line.unit,
        "unit_price": f"{line.unit_price.normalize():f}",
        "discount_percent": str(line.discount_percent),
        "tax_rate": str(line.tax_rate),
        "cost_price": None if line.cost_price is None else f"{line.cost_price.normalize():f}",
        "net": money_text(line.net, currency),
    }


def order_dict(order: Order, *, lines: list | None = None) -> dict:
    currency = order.currency
    return {
        "id": order.pk,
        "number": order.number,
        "organization_id": order.organization_id,
        "person_id": order.person_id,
        "customer": _customer(order),
        "deal_id": order.deal_id,
        "owner_id": order.owner_id,
        "team_id": order.team_id,
        "currency": currency,
        "ordered_on": order.ordered_on,
        "price_list_id": order.price_list_id,
        "customer_reference": order.customer_reference,
        "notes": order.notes,
        "status": order.status,
        "delivered_at": order.delivered_at,
        "cancelled_at": order.cancelled_at,
        "cancellation_reason": order.cancellation_reason,
        "net_total": money_text(order.net_total, currency),
        "tax_total": money_text(order.tax_total, currency),
        "gross_total": money_text(order.gross_total, currency),
        "cost_total": money_text(order.cost_total, currency),
        "margin": money_text(order.margin, currency),
        "lines": None if lines is None else [_line(li, currency) for li in lines],
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "version": order.version,
    }


def _taxes(invoice: Invoice, lines: list) -> list[dict]:
    """The per-rate sums, as the totals module computed them when the document was made."""
    sign = -1 if invoice.is_credit_note else 1
    result = compute(
        [
            Line(
                quantity=abs(li.quantity),
                unit_price=li.unit_price,
                discount_percent=li.discount_percent,
                tax_rate=li.tax_rate,
            )
            for li in lines
        ],
        invoice.currency,
    )
    if sign < 0:
        result = result.negated()
    return [
        {
            "tax_rate": str(group.tax_rate.quantize(Decimal("0.01"))),
            "net": money_text(group.net, invoice.currency),
            "tax": money_text(group.tax, invoice.currency),
        }
        for group in result.taxes
    ]


def invoice_dict(invoice: Invoice, *, lines: list | None = None) -> dict:
    currency = invoice.currency
    return {
        "id": invoice.pk,
        "kind": invoice.kind,
        "number": invoice.number,
        "status": invoice.status,
        "is_overdue": is_overdue(invoice),
        "corrects_id": invoice.corrects_id,
        "order_id": invoice.order_id,
        "organization_id": invoice.organization_id,
        "person_id": invoice.person_id,
        "customer": _customer(invoice),
        "owner_id": invoice.owner_id,
        "team_id": invoice.team_id,
        "currency": currency,
        "customer_reference": invoice.customer_reference,
        "issue_date": invoice.issue_date,
        "payment_terms_days": invoice.payment_terms_days,
        "due_date": invoice.due_date,
        "issued_at": invoice.issued_at,
        "net_total": money_text(invoice.net_total, currency),
        "tax_total": money_text(invoice.tax_total, currency),
        "gross_total": money_text(invoice.gross_total, currency),
        "cost_total": money_text(invoice.cost_total, currency),
        "margin": money_text(invoice.margin, currency),
        "paid_total": money_text(invoice.paid_total, currency),
        "credited_total": money_text(invoice.credited_total, currency),
        "open_balance": money_text(invoice.open_balance, currency),
        "taxes": None if lines is None else _taxes(invoice, lines),
        "lines": None if lines is None else [_line(li, currency) for li in lines],
        "created_at": invoice.created_at,
        "updated_at": invoice.updated_at,
        "version": invoice.version,
    }


def payment_dict(payment: Payment, currency: str) -> dict:
    return {
        "id": payment.pk,
        "invoice_id": payment.invoice_id,
        "amount": money_text(payment.amount, currency),
        "currency": currency,
        "paid_on": payment.paid_on,
        "method": payment.method,
        "reference": payment.reference,
        "recorded_by_id": payment.recorded_by_id,
        "created_at": payment.created_at,
    }


def subscription_dict(subscription: Subscription) -> dict:
    currency = subscription.currency
    months = Subscription.MONTHS[subscription.billing_period]
    return {
        "id": subscription.pk,
        "organization_id": subscription.organization_id,
        "person_id": subscription.person_id,
        "customer": _customer(subscription),
        "owner_id": subscription.owner_id,
        "team_id": subscription.team_id,
        "product_id": subscription.product_id,
        "description": subscription.description,
        "amount": money_text(subscription.amount, currency),
        "currency": currency,
        "billing_period": subscription.billing_period,
        "monthly_amount": money_text(subscription.amount / months, currency),
        "start_date": subscription.start_date,
        "end_date": subscription.end_date,
        "renewal_date": subscription.renewal_date,
        "cancelled_at": subscription.cancelled_at,
        "cancellation_reason": subscription.cancellation_reason,
        "is_active": subscription.is_active_on(timezone.localdate()),
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
        "version": subscription.version,
    }


def _order_response(viewer, order_id: int, status: int = 200):
    order = selectors.order_get(viewer=viewer, order_id=order_id)
    return json(order_dict(order, lines=order.line_list), status=status, etag=order.etag)


def _invoice_response(viewer, invoice_id: int, status: int = 200):
    invoice = selectors.invoice_get(viewer=viewer, invoice_id=invoice_id)
    return json(invoice_dict(invoice, lines=invoice.line_list), status=status, etag=invoice.etag)


def _subscription_response(viewer, subscription_id: int, status: int = 200):
    subscription = selectors.subscription_get(viewer=viewer, subscription_id=subscription_id)
    return json(subscription_dict(subscription), status=status, etag=subscription.etag)


def _data(payload, *, keep_null: tuple[str, ...] = ()) -> dict:
    """The fields the client sent; null means "not given" except for `keep_null` fields."""
    return {
        key: value
        for key, value in payload.dict(exclude_unset=True).items()
        if value is not None or key in keep_null
    }


def _lines(raw: list[dict] | None) -> list[dict] | None:
    if raw is None:
        return None
    return [{k: v for k, v in line.items() if v is not None} for line in raw]


# --- orders --------------------------------------------------------------------------------------


@orders.get("", response=responses({200: OrderList}), summary="List orders")
def list_orders(request, filters: Query[OrderQuery]):
    page = selectors.order_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [order_dict(o) for o in page.rows])


@orders.post("", response=responses({201: OrderOut}), summary="Create an order with its lines")
def create_order(request, payload: OrderIn):
    actor = writer(request)
    data = _data(payload)
    data["lines"] = _lines(data["lines"])
    order = services.order_create(actor=actor, data=data)
    return _order_response(actor, order.pk, status=201)


@orders.get("/{order_id}", response=responses({200: OrderOut}), summary="An order with its lines")
def get_order(request, order_id: int = _id("order id")):
    return _order_response(reader(request), order_id)


@orders.patch(
    "/{order_id}",
    response=responses({200: OrderOut}),
    summary="Change an open order; `lines` replace all lines",
)
def update_order(
    request,
    payload: OrderPatch,
    order_id: int = _id("order id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    selectors.order_get(viewer=actor, order_id=order_id)
    data = _data(payload, keep_null=("person_id", "organization_id", "team_id", "deal_id"))
    if "lines" in data:
        data["lines"] = _lines(data["lines"])
    services.order_update(
        actor=actor,
        order_id=order_id,
        data=data,
        expected_version=expected_version(request, order_id),
    )
    return _order_response(actor, order_id)


@orders.post("/{order_id}/cancel", response=responses({200: OrderOut}), summary="Cancel an order")
def cancel_order(
    request, payload: CancelIn, order_id: int = _id("order id"), if_match: str | None = _if_match()
):
    actor = writer(request)
    selectors.order_get(viewer=actor, order_id=order_id)
    services.order_cancel(
        actor=actor,
        order_id=order_id,
        reason=payload.reason,
        expected_version=expected_version(request, order_id),
    )
    return _order_response(actor, order_id)


@orders.post(
    "/{order_id}/deliver", response=responses({200: OrderOut}), summary="Mark an order delivered"
)
def deliver_order(request, order_id: int = _id("order id"), if_match: str | None = _if_match()):
    actor = writer(request)
    selectors.order_get(viewer=actor, order_id=order_id)
    services.order_deliver(
        actor=actor, order_id=order_id, expected_version=expected_version(request, order_id)
    )
    return _order_response(actor, order_id)


@orders.post(
    "/{order_id}/invoice",
    response=responses({201: InvoiceOut}),
    summary="Draft the order's invoice (billing: managers and administrators)",
)
def draft_invoice(request, payload: DraftIn, order_id: int = _id("order id")):
    actor = writer(request)
    invoice = services.invoice_create_from_order(
        actor=actor, order_id=order_id, payment_terms_days=payload.payment_terms_days
    )
    return _invoice_response(actor, invoice.pk, status=201)


# --- invoices ------------------------------------------------------------------------------------


@invoices.get("", response=responses({200: InvoiceList}), summary="List invoices and credit notes")
def list_invoices(request, filters: Query[InvoiceQuery]):
    page = selectors.invoice_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [invoice_dict(i) for i in page.rows])


@invoices.get(
    "/{invoice_id}",
    response=responses({200: InvoiceOut}),
    summary="An invoice or credit note with its lines, taxes and open balance",
)
def get_invoice(request, invoice_id: int = _id("invoice id")):
    return _invoice_response(reader(request), invoice_id)


@invoices.delete(
    "/{invoice_id}",
    response=responses({204: None}),
    summary="Discard a draft (an issued invoice is kept for ever: 409)",
)
def discard_invoice(request, invoice_id: int = _id("invoice id")):
    services.invoice_discard(actor=writer(request), invoice_id=invoice_id)
    return HttpResponse(status=204)


@invoices.post(
    "/{invoice_id}/issue",
    response=responses({200: InvoiceOut}),
    summary="Issue a draft: the next gapless number; immutable from then on",
)
def issue_invoice(
    request,
    payload: IssueIn,
    invoice_id: int = _id("invoice id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    selectors.invoice_get(viewer=actor, invoice_id=invoice_id)
    services.invoice_issue(
        actor=actor,
        invoice_id=invoice_id,
        issue_date=payload.issue_date,
        expected_version=expected_version(request, invoice_id),
    )
    return _invoice_response(actor, invoice_id)


@invoices.post(
    "/{invoice_id}/credit-note",
    response=responses({201: InvoiceOut}),
    summary="Correct an issued invoice with a credit note (all, or the lines given)",
)
def create_credit_note(request, payload: CreditNoteIn, invoice_id: int = _id("invoice id")):
    actor = writer(request)
    note = services.credit_note_create(
        actor=actor,
        invoice_id=invoice_id,
        lines=_lines([li.dict() for li in payload.lines]) if payload.lines is not None else None,
        issue=payload.issue,
    )
    return _invoice_response(actor, note.pk, status=201)


@invoices.get(
    "/{invoice_id}/payments",
    response=responses({200: PaymentList}),
    summary="The payments of an invoice, oldest first",
)
def list_payments(request, invoice_id: int = _id("invoice id")):
    viewer = reader(request)
    invoice = selectors.invoice_get(viewer=viewer, invoice_id=invoice_id)
    items = selectors.payment_list(viewer=viewer, invoice_id=invoice_id)
    return json({"items": [payment_dict(p, invoice.currency) for p in items]})


@invoices.post(
    "/{invoice_id}/payments",
    response=responses({201: PaymentOut}),
    summary="Record a payment (partial payments allowed; never beyond the open balance)",
)
def record_payment(request, payload: PaymentIn, invoice_id: int = _id("invoice id")):
    actor = writer(request)
    payment = services.payment_record(
        actor=actor,
        invoice_id=invoice_id,
        amount=payload.amount,
        paid_on=payload.paid_on,
        method=payload.method,
        reference=payload.reference,
    )
    invoice = selectors.invoice_get(viewer=actor, invoice_id=invoice_id)
    return json(payment_dict(payment, invoice.currency), status=201)


# --- subscriptions -------------------------------------------------------------------------------


@subscriptions.get("", response=responses({200: SubscriptionList}), summary="List subscriptions")
def list_subscriptions(request, filters: Query[SubscriptionQuery]):
    page = selectors.subscription_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [subscription_dict(s) for s in page.rows])


@subscriptions.post("", response=responses({201: SubscriptionOut}), summary="Create a subscription")
def create_subscription(request, payload: SubscriptionIn):
    actor = writer(request)
    subscription = services.subscription_create(actor=actor, data=_data(payload))
    return _subscription_response(actor, subscription.pk, status=201)


@subscriptions.get(
    "/mrr",
    response=responses({200: MrrOut}),
    summary="Monthly recurring revenue on a day, in the base currency",
)
def get_mrr(request, filters: Query[MrrQuery]):
    result = selectors.mrr(reader(request), on=filters.on)
    return json(
        {
            "on": result.on,
            "currency": result.currency,
            "total": money_text(result.total, result.currency),
            "count": result.count,
            "by_currency": [
                {
                    "currency": part.currency,
                    "count": part.count,
                    "amount": money_text(part.amount, part.currency),
                    "in_base": money_text(part.in_base, result.currency),
                }
                for part in result.by_currency
            ],
            "missing_rates": result.missing_rates,
        }
    )


@subscriptions.get(
    "/{subscription_id}", response=responses({200: SubscriptionOut}), summary="A subscription"
)
def get_subscription(request, subscription_id: int = _id("subscription id")):
    return _subscription_response(reader(request), subscription_id)


@subscriptions.patch(
    "/{subscription_id}",
    response=responses({200: SubscriptionOut}),
    summary="Change a subscription that is not cancelled",
)
def update_subscription(
    request,
    payload: SubscriptionPatch,
    subscription_id: int = _id("subscription id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    selectors.subscription_get(viewer=actor, subscription_id=subscription_id)
    services.subscription_update(
        actor=actor,
        subscription_id=subscription_id,
        data=_data(payload, keep_null=("end_date", "person_id", "organization_id", "team_id")),
        expected_version=expected_version(request, subscription_id),
    )
    return _subscription_response(actor, subscription_id)


@subscriptions.post(
    "/{subscription_id}/cancel",
    response=responses({200: SubscriptionOut}),
    summary="Cancel a subscription with a reason",
)
def cancel_subscription(
    request,
    payload: SubscriptionCancelIn,
    subscription_id: int = _id("subscription id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    selectors.subscription_get(viewer=actor, subscription_id=subscription_id)
    services.subscription_cancel(
        actor=actor,
        subscription_id=subscription_id,
        reason=payload.reason,
        end_date=payload.end_date,
        expected_version=expected_version(request, subscription_id),
    )
    return _subscription_response(actor, subscription_id)


@subscriptions.post(
    "/{subscription_id}/renew",
    response=responses({200: SubscriptionOut}),
    summary="Renew a subscription for one more billing period",
)
def renew_subscription(
    request,
    subscription_id: int = _id("subscription id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    selectors.subscription_get(viewer=actor, subscription_id=subscription_id)
    services.subscription_renew(
        actor=actor,
        subscription_id=subscription_id,
        expected_version=expected_version(request, subscription_id),
    )
    return _subscription_response(actor, subscription_id)
