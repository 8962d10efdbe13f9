"""Write use cases of orders, invoices, credit notes, payments and subscriptions.

Every function: keyword-only, takes the acting user, runs in one transaction (via `service`),
checks permission, writes the audit event, and raises ValidationError, PermissionDenied,
NotFound, ConflictError or PreconditionFailed. Nothing half-writes.

Money is never a float: amounts come in as Decimal, int or a decimal string
(catalog.services.parse_decimal) and totals are computed by kundenwert/orders/totals.py.

Locks are always taken in one order, so two services can never wait for each other: the
corrected invoice (for a credit note), then the document itself, then the number sequence —
the sequence last and only after every validation, because it serialises all issuers of its
series until they commit (see numbering.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import audit_record, diff, service, snapshot
from kundenwert.catalog.models import PriceList, Product, TaxRate, product_name
from kundenwert.catalog.selectors import convert, price_for, rate_on
from kundenwert.catalog.services import parse_currency, parse_decimal
from kundenwert.contacts.models import Organization, Person
from kundenwert.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from kundenwert.core.money import DEFAULT_CURRENCY, Money, minor_units
from kundenwert.core.records import check_version
from kundenwert.org.models import Level, Team
from kundenwert.org.policies import can, permissions_for
from kundenwert.sales.models import Deal

from . import totals as document_totals
from .models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    PERCENT_PLACES,
    QUANTITY_DIGITS,
    QUANTITY_PLACES,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    Subscription,
    customer_required_message,
)
from .numbering import format_number, next_number
from .signals import invoice_issued, order_delivered, payment_recorded

__all__ = [
    "credit_note_create",
    "invoice_create_from_order",
    "invoice_discard",
    "invoice_issue",
    "order_cancel",
    "order_create",
    "order_deliver",
    "order_update",
    "payment_record",
    "subscription_cancel",
    "subscription_create",
    "subscription_renew",
    "subscription_update",
]

ORDER_FIELDS = (
    "organization", "person", "deal", "owner", "team", "currency", "ordered_on", "price_list",
    "customer_reference", "notes",
)  # fmt: skip
ORDER_AUDIT_FIELDS = (
    "number", *ORDER_FIELDS, "status", "net_total", "tax_total", "gross_total", "cost_total",
    "delivered_at", "cancelled_at", "cancellation_reason",
)  # fmt: skip
LINE_FIELDS = (
    "product_id", "description", "quantity", "unit", "unit_price", "discount_percent",
    "tax_rate", "cost_price",
)  # fmt: skip
CREDIT_LINE_FIELDS = ("invoice_line_id", *LINE_FIELDS)
SUBSCRIPTION_FIELDS = (
    "organization", "person", "owner", "team", "product", "description", "amount", "currency",
    "billing_period", "start_date", "end_date", "renewal_date",
)  # fmt: skip
SUBSCRIPTION_AUDIT_FIELDS = (*SUBSCRIPTION_FIELDS, "cancelled_at", "cancellation_reason")
INVOICE_AUDIT_FIELDS = (
    "kind", "number", "status", "order", "corrects", "organization", "person", "currency",
    "issue_date", "due_date", "payment_terms_days", "net_total", "tax_total", "gross_total",
    "cost_total",
)  # fmt: skip

# Adapters name relations by id; services and models by the relation.
ID_KEYS = {
    "organization_id": "organization",
    "person_id": "person",
    "deal_id": "deal",
    "owner_id": "owner",
    "team_id": "team",
    "price_list_id": "price_list",
    "product_id": "product",
}
RELATION_KEYS = {v: k for k, v in ID_KEYS.items()}
MAX_LINES = 500
MAX_AMOUNT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES)
MAX_QUANTITY = Decimal(10) ** (QUANTITY_DIGITS - QUANTITY_PLACES)
MAX_PAYMENT_TERMS_DAYS = 365
_HUNDRED = Decimal(100)


def default_payment_terms() -> int:
    """Return the default payment terms (setting INVOICE_PAYMENT_TERMS_DAYS, default 14)."""
    return int(getattr(settings, "INVOICE_PAYMENT_TERMS_DAYS", 14))


# --- shared helpers ------------------------------------------------------------------------------


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(limit: int):
    def build(value) -> str:
        if value is not None and not isinstance(value, str):
            raise TypeError("text expected")
        return (value or "").strip()[:limit]

    return build


def _date(value) -> dt.date:
    """Read a date (a date object or YYYY-MM-DD); a date-time is refused."""
    if isinstance(value, dt.datetime):
        raise TypeError("a date, not a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed
    raise ValidationError(_("Enter a date as YYYY-MM-DD."))


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for key, messages in more.items():
        bucket = errors.setdefault(key, [])
        bucket.extend(str(m) for m in messages if str(m) not in bucket)


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _places(value: Decimal) -> int:
    return max(-int(value.as_tuple().exponent), 0)


def _number(
    value,
    *,
    places: int,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal = MAX_AMOUNT,
    above_minimum: bool = False,
) -> Decimal:
    """Read an exact decimal with at most `places` places within bounds; ValidationError if not.

    Floats are refused (catalog.services.parse_decimal). The message names the problem only; the
    caller puts it under the right field.
    """
    number = parse_decimal(value, places=places)
    if _places(number) > places:
        raise ValidationError(_("Enter at most %(places)d decimal places.") % {"places": places})
    if minimum is not None and (number <= minimum if above_minimum else number < minimum):
        if above_minimum:
            raise ValidationError(_("Enter a number greater than zero."))
        raise ValidationError(_("Enter a number of zero or more."))
    if abs(number) >= maximum:
        raise ValidationError(_("The number is too large."))
    return number


def _percent(value) -> Decimal:
    number = _number(value, places=PERCENT_PLACES)
    if number > _HUNDRED:
        raise ValidationError(_("Enter a percentage between 0 and 100."))
    return number


def _currency_amount(value, currency: str) -> Decimal:
    """An amount of money: no more places than the currency has (2 for EUR, 0 for JPY)."""
    places = minor_units(currency)
    number = parse_decimal(value, places=places)
    if _places(number) > places:
        raise ValidationError(
            _("Amounts in %(currency)s have at most %(places)d decimal places.")
            % {"currency": currency, "places": places}
        )
    return number


def _rename_ids(data: dict) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({NON_FIELD_ERRORS: [_("Enter the fields as a mapping.")]})
    return {ID_KEYS.get(key, key): value for key, value in data.items()}


def _unknown(data: dict, allowed) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({RELATION_KEYS.get(k, k): [_("Unknown field.")] for k in unknown})


def _default_team(actor) -> Team | None:
    team_ids = sorted(permissions_for(actor).team_ids)
    return Team.objects.filter(pk=team_ids[0]).first() if len(team_ids) == 1 else None


def _owner(value):
    user = (
        get_user_model().objects.filter(pk=value, is_active=True).first() if _is_id(value) else None
    )
    if user is None:
        raise ValidationError({"owner_id": [_("No active user with this id.")]})
    return user


def _team(value) -> Team | None:
    if value is None:
        return None
    team = Team.objects.filter(pk=value).first() if _is_id(value) else None
    if team is None:
        raise ValidationError({"team_id": [_("No team with this id.")]})
    return team


def _visible_customer(model, field: str, actor, value):
    """Resolve a customer the actor may see; one they may not is simply "not found"."""
    if value is None:
        return None
    found = model.objects.visible_to(actor).filter(pk=value).first() if _is_id(value) else None
    if found is None:
        message = (
            _("No organisation with this id.")
            if model is Organization
            else _("No person with this id.")
        )
        raise ValidationError({field: [message]})
    if found.archived_at is not None:
        message = (
            _("This organisation is archived.")
            if model is Organization
            else _("This person is archived.")
        )
        raise ValidationError({field: [message]})
    return found


def _deny(entity: str, action: str, instance=None) -> PermissionDenied:
    messages = {
        ("order", "edit"): _("You may not change this order."),
        ("invoice", "edit"): _("You may not bill this customer or change this invoice."),
        ("subscription", "edit"): _("You may not change this subscription."),
    }
    target_type = instance._meta.model_name if instance is not None else entity
    return PermissionDenied(
        messages.get((entity, action), _("You do not have permission to do this.")),
        action=f"{'order' if entity == 'subscription' else entity}.{action}",
        target_type=target_type,
        target_id=str(instance.pk) if instance is not None and instance.pk else "",
    )


def _require(actor, entity: str, action: str, instance) -> None:
    """Refuse unless the actor may do `action` on a record with this owner and team."""
    permission_entity = "order" if entity == "subscription" else entity
    if not can(
        actor,
        permission_entity,
        action,
        owner_id=instance.owner_id,
        team_id=instance.team_id,
    ):
        raise _deny(entity, action, instance)


def _require_some(actor, entity: str, target_type: str) -> None:
    """Refuse at once an actor whose role grants no level at all for writing `entity`."""
    if permissions_for(actor).level(entity, "edit") == Level.NONE:
        raise _deny(target_type, "edit")


def _lock(model, actor, pk, message) -> Any:
    """Lock and return a record the actor may read; NotFound otherwise (no existence leak)."""
    instance = (
        model.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
        if _is_id(pk)
        else None
    )
    if instance is None:
        raise NotFound(message)
    return instance


def _check_customer(errors: dict[str, list[str]], record) -> None:
    if (
        record.organization_id is None
        and record.person_id is None
        and not {"organization_id", "person_id"} & set(errors)
    ):
        errors.setdefault("organization_id", []).append(str(customer_required_message()))


def _money_text(amount: Decimal | None, currency: str) -> str | None:
    """The audit trail shows amounts as the currency writes them: "100.00", not "100.0000"."""
    if amount is None:
        return None
    return str(Money(Decimal(amount), currency).quantize().amount)


def _quantize(amount: Decimal, currency: str) -> Decimal:
    return document_totals.round_amount(amount, minor_units(currency))


def today() -> dt.date:
    return timezone.localdate()


def _negative(amount: Decimal) -> Decimal:
    """Flip the sign of a credited amount; zero stays a plain zero (never "-0.00")."""
    return amount if amount.is_zero() else -amount


# --- document lines ------------------------------------------------------------------------------


@dataclass
class _LineSpec:
    """A validated line, before it is stored on an order, an invoice or a credit note."""

    product: Product | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    cost_price: Decimal | None
    corrected_line: InvoiceLine | None = None
    order_line: OrderLine | None = None

    def as_totals_line(self) -> document_totals.Line:
        return document_totals.Line(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            tax_rate=self.tax_rate,
        )


def _default_tax_rate() -> Decimal:
    rate = (
        TaxRate.objects.filter(is_default=True, archived_at__isnull=True)
        .values_list("rate", flat=True)
        .first()
    )
    return Decimal(rate) if rate is not None else Decimal(0)


def _product(actor, value) -> Product:
    found = (
        Product.objects.visible_to(actor).select_related("tax_rate").filter(pk=value).first()
        if _is_id(value)
        else None
    )
    if found is None:
        raise ValidationError(_("No product with this id."))
    if found.archived_at is not None:
        raise ValidationError(_("This product is archived."))
    return found


def _cost_in(product: Product, currency: str, on: dt.date) -> Decimal | None:
    """The product's cost price in `currency` at the rates of `on`; None when unknowable."""
    if product.cost_price is None:
        return None
    cost = Money(Decimal(product.cost_price), product.cost_currency)
    try:
        converted = convert(cost, currency, on, rounded=False)
    except ValidationError:  # no exchange rate that old: the margin stays unknown
        return None
    return document_totals.round_amount(converted.amount, AMOUNT_PLACES)


def _parse_line(
    actor,
    raw,
    *,
    currency: str | None,
    on: dt.date | None,
    price_list: PriceList | None,
    allowed: tuple[str, ...] = LINE_FIELDS,
) -> tuple[_LineSpec | None, dict[str, list[str]]]:
    """Validate one line given as a mapping; return it, or the errors keyed by field."""
    if not isinstance(raw, dict):
        return None, {NON_FIELD_ERRORS: [_("Enter the line as a mapping of fields.")]}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(raw) - set(allowed)):
        errors[key] = [_("Unknown field.")]

    def read(field: str, reader, *args, **kwargs):
        if field not in raw or raw[field] is None:
            return None
        try:
            return reader(raw[field], *args, **kwargs)
        except ValidationError as exc:
            errors[field] = _messages(exc)
        except (TypeError, ValueError, AttributeError):
            errors[field] = [_("Enter a valid value.")]
        return None

    product = read("product_id", lambda v: _product(actor, v))
    description = read("description", _text(500))
    unit = read("unit", _text(30))
    quantity = read(
        "quantity", _number, places=QUANTITY_PLACES, maximum=MAX_QUANTITY, above_minimum=True
    )
    unit_price = read("unit_price", _number, places=AMOUNT_PLACES)
    discount = read("discount_percent", _percent)
    tax_rate = read("tax_rate", _percent)
    cost_price = read("cost_price", _number, places=AMOUNT_PLACES)
    if "quantity" not in raw or raw["quantity"] is None:
        errors.setdefault("quantity", [_("Enter a quantity.")])
    if product is not None:
        description = description or product_name(product)
        unit = unit if "unit" in raw and raw["unit"] is not None else product.unit
        if tax_rate is None and "tax_rate" not in errors:
            tax_rate = Decimal(product.tax_rate.rate)
        if unit_price is None and "unit_price" not in errors and currency and on:
            try:
                if price_list is not None:
                    unit_price = price_for(product=product, on=on, price_list=price_list).amount
                else:
                    unit_price = price_for(product=product, on=on, currency=currency).amount
            except ValidationError as exc:
                errors["unit_price"] = _messages(exc)
        if cost_price is None and "cost_price" not in errors and currency and on:
            cost_price = _cost_in(product, currency, on)
    elif "product_id" not in errors:
        if not description and "description" not in errors:
            errors["description"] = [_("Describe the line or choose a product.")]
        if unit_price is None and "unit_price" not in errors:
            errors["unit_price"] = [_("Enter a unit price or choose a product.")]
        if tax_rate is None and "tax_rate" not in errors:
            tax_rate = _default_tax_rate()
    if errors or unit_price is None or quantity is None or tax_rate is None:
        return None, errors
    return (
        _LineSpec(
            product=product,
            description=description or "",
            quantity=quantity,
            unit=unit or "",
            unit_price=unit_price,
            discount_percent=discount if discount is not None else Decimal(0),
            tax_rate=tax_rate,
            cost_price=cost_price,
        ),
        {},
    )


def _parse_lines(
    actor, raw, *, currency: str | None, on: dt.date | None, price_list: PriceList | None
) -> tuple[list[_LineSpec], dict[str, list[str]]]:
    """Validate a list of lines; errors are keyed `lines.<index>.<field>` (0-based)."""
    if not isinstance(raw, list | tuple) or not raw:
        return [], {"lines": [_("Give at least one line.")]}
    if len(raw) > MAX_LINES:
        return [], {"lines": [_("At most %(count)d lines.") % {"count": MAX_LINES}]}
    specs, errors = [], {}
    for index, item in enumerate(raw):
        spec, line_errors = _parse_line(
            actor, item, currency=currency, on=on, price_list=price_list
        )
        for key, messages in line_errors.items():
            suffix = "" if key == NON_FIELD_ERRORS else f".{key}"
            errors[f"lines.{index}{suffix}"] = messages
        if spec is not None:
            specs.append(spec)
    return specs, errors


def _cost_total(specs: list[_LineSpec], currency: str) -> Decimal | None:
    """Σ cost price × quantity, rounded per line like the nets; None if any cost is unknown."""
    if any(spec.cost_price is None for spec in specs):
        return None
    return sum(
        (_quantize(spec.cost_price * spec.quantity, currency) for spec in specs),
        _quantize(Decimal(0), currency),
    )


def _line_fields(spec: _LineSpec, position: int, net: Decimal, *, sign: int = 1) -> dict:
    return {
        "position": position,
        "product": spec.product,
        "description": spec.description,
        "quantity": spec.quantity * sign,
        "unit": spec.unit,
        "unit_price": spec.unit_price,
        "discount_percent": spec.discount_percent,
        "tax_rate": spec.tax_rate,
        "cost_price": spec.cost_price,
        "net": _negative(net) if sign < 0 else net,
    }


def _fixed(value, places: int) -> str:
    """Write a number with exactly `places` places, so "2.5" and "2.50" audit the same."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def _lines_snapshot(lines, currency: str) -> list[list[str]]:
    money_places = minor_units(currency)
    return [
        [
            line.description,
            _fixed(line.quantity, QUANTITY_PLACES),
            _fixed(line.unit_price, AMOUNT_PLACES),
            _fixed(line.discount_percent, PERCENT_PLACES),
            _fixed(line.tax_rate, PERCENT_PLACES),
            _fixed(line.net, money_places),
        ]
        for line in lines
    ]


# --- orders --------------------------------------------------------------------------------------


def _order_snapshot(order: Order, lines=None) -> dict:
    values = snapshot(order, ORDER_AUDIT_FIELDS)
    for name in ("net_total", "tax_total", "gross_total", "cost_total"):
        values[name] = _money_text(getattr(order, name), order.currency)
    if lines is not None:
        values["lines"] = _lines_snapshot(lines, order.currency)
    return values


def _lock_order(actor, order_id) -> Order:
    return _lock(Order, actor, order_id, _("Order not found."))


def _order_header(actor, order: Order, fields: dict, errors: dict[str, list[str]]) -> None:
    """Apply and validate the header fields of an order, collecting errors by adapter key."""

    def apply(name: str, build) -> None:
        if name not in fields:
            return
        try:
            setattr(order, name, build(fields[name]))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _merge(errors, exc.message_dict)
            else:
                errors[RELATION_KEYS.get(name, name)] = _messages(exc)
        except (TypeError, ValueError, AttributeError):
            errors[RELATION_KEYS.get(name, name)] = [_("Enter a valid value.")]

    apply(
        "organization",
        lambda v: _visible_customer(Organization, "organization_id", actor, v),
    )
    apply("person", lambda v: _visible_customer(Person, "person_id", actor, v))
    apply("deal", lambda v: _deal(actor, v))
    apply("owner", _owner)
    apply("team", _team)
    apply("currency", parse_currency)
    apply("ordered_on", _date)
    apply("price_list", _price_list)
    apply("customer_reference", _text(100))
    apply("notes", _text(10_000))
    deal = order.deal if order.deal_id else None
    if deal is not None and order.organization_id is None and order.person_id is None:
        # An order from a deal is for the deal's customer unless told otherwise.
        order.organization_id, order.person_id = deal.organization_id, deal.person_id
    price_list = order.price_list if order.price_list_id else None
    if price_list is not None and "price_list_id" not in errors:
        if "currency" not in fields:
            order.currency = price_list.currency
        elif "currency" not in errors and price_list.currency != order.currency:
            errors.setdefault("price_list_id", []).append(
                _("This price list is in %(currency)s, the order in %(order)s.")
                % {"currency": price_list.currency, "order": order.currency}
            )
    _check_customer(errors, order)


def _deal(actor, value) -> Deal | None:
    if value is None:
        return None
    found = Deal.objects.visible_to(actor).filter(pk=value).first() if _is_id(value) else None
    if found is None:
        raise ValidationError({"deal_id": [_("No deal with this id.")]})
    return found


def _price_list(value) -> PriceList | None:
    if value is None:
        return None
    found = PriceList.objects.filter(pk=value).first() if _is_id(value) else None
    if found is None:
        raise ValidationError({"price_list_id": [_("No price list with this id.")]})
    return found


def _check_size(result: document_totals.Totals, cost: Decimal | None) -> None:
    """Refuse totals too large to store (a huge quantity times a huge price), never a 500."""
    amounts = [result.gross, result.net, *(line.net for line in result.lines)]
    if cost is not None:
        amounts.append(cost)
    if any(abs(amount) >= MAX_AMOUNT for amount in amounts):
        raise ValidationError({"lines": [_("The total is too large.")]})


def _apply_lines(order: Order, specs: list[_LineSpec]) -> list[OrderLine]:
    """Compute the totals of `specs` onto the order and return its unsaved lines."""
    result = document_totals.compute([s.as_totals_line() for s in specs], order.currency)
    _check_size(result, _cost_total(specs, order.currency))
    order.net_total, order.tax_total, order.gross_total = result.net, result.tax, result.gross
    order.cost_total = _cost_total(specs, order.currency)
    return [
        OrderLine(order=order, **_line_fields(spec, position, line.net))
        for position, (spec, line) in enumerate(zip(specs, result.lines, strict=True), start=1)
    ]


@service
def order_create(*, actor, data: dict) -> Order:
    """Create an order with its lines, numbered from the series "order" (B-2026-00017).

    `data`: organization_id and/or person_id (visible to the actor; taken from `deal_id` when
    neither is given), deal_id, owner_id (default: the actor), team_id, currency (default: the
    price list's, else EUR), ordered_on (default: today), price_list_id, customer_reference,
    notes, and `lines`: a list of {product_id, description, quantity, unit, unit_price,
    discount_percent, tax_rate, cost_price}. A line with a product takes its name, unit, tax
    rate, cost price (converted to the order currency at the order date) and — without a
    unit_price — its price from `price_list_id` or the currency's default list. Errors name the
    line: `lines.2.unit_price`. Nothing is written unless everything is valid.
    """
    _require_some(actor, "order", "order")
    fields = _rename_ids(data)
    raw_lines = fields.pop("lines", None)
    _unknown(fields, ORDER_FIELDS)
    order = Order(
        owner=actor,
        team=_default_team(actor),
        currency=DEFAULT_CURRENCY,
        ordered_on=today(),
    )
    errors: dict[str, list[str]] = {}
    _order_header(actor, order, fields, errors)
    header_ok = not {"currency", "ordered_on", "price_list_id"} & set(errors)
    specs, line_errors = _parse_lines(
        actor,
        raw_lines,
        currency=order.currency if header_ok else None,
        on=order.ordered_on if header_ok else None,
        price_list=order.price_list if header_ok and order.price_list_id else None,
    )
    _merge(errors, line_errors)
    if errors:
        raise ValidationError(errors)
    _require(actor, "order", "edit", order)
    lines = _apply_lines(order, specs)
    order.number = format_number(
        "order", order.ordered_on.year, next_number("order", order.ordered_on.year)
    )
    order.save()
    OrderLine.objects.bulk_create(lines)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=order,
        changes=diff({}, _order_snapshot(order, lines)),
    )
    return order


def _live_invoice(order: Order) -> Invoice | None:
    """The order's invoice that is not cancelled by a credit note (draft, issued or paid)."""
    return (
        Invoice.objects.filter(order=order, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )


def _require_open(order: Order) -> None:
    if order.status != Order.Status.OPEN:
        raise ConflictError(
            _("Only an open order can be changed; this one is %(status)s.")
            % {"status": order.get_status_display()},
            code="order_not_open",
        )


@service
def order_update(*, actor, order_id: int, data: dict, expected_version: int | None = None) -> Order:
    """Change an open, not yet invoiced order; `lines`, when given, replace all its lines.

    Changing the currency, the order date or the price list needs the lines too (their prices
    depend on them). The number never changes.
    """
    fields = _rename_ids(data)
    raw_lines = fields.pop("lines", None)
    _unknown(fields, ORDER_FIELDS)
    order = _lock_order(actor, order_id)
    _require(actor, "order", "edit", order)
    check_version(order, expected_version)
    _require_open(order)
    if _live_invoice(order) is not None:
        raise ConflictError(
            _("This order has been invoiced; it can no longer be changed."), code="invoiced"
        )
    old_lines = list(order.lines.all())
    before = _order_snapshot(order, old_lines)
    pricing = (order.currency, order.ordered_on, order.price_list_id)
    errors: dict[str, list[str]] = {}
    _order_header(actor, order, fields, errors)
    new_lines = None
    if raw_lines is not None:
        header_ok = not {"currency", "ordered_on", "price_list_id"} & set(errors)
        specs, line_errors = _parse_lines(
            actor,
            raw_lines,
            currency=order.currency if header_ok else None,
            on=order.ordered_on if header_ok else None,
            price_list=order.price_list if header_ok and order.price_list_id else None,
        )
        _merge(errors, line_errors)
        if not errors:
            new_lines = _apply_lines(order, specs)
    else:
        # The lines' prices and costs depend on these: changing one needs the lines as well.
        now = (order.currency, order.ordered_on, order.price_list_id)
        for key, old, new in zip(
            ("currency", "ordered_on", "price_list_id"), pricing, now, strict=True
        ):
            if old != new and key not in errors:
                errors[key] = [_("Send the lines with this change.")]
    if errors:
        raise ValidationError(errors)
    _require(actor, "order", "edit", order)  # the new owner/team must be in reach too
    lines = new_lines if new_lines is not None else old_lines
    changes = diff(before, _order_snapshot(order, lines))
    if changes:
        if new_lines is not None:
            order.lines.all().delete()
            OrderLine.objects.bulk_create(new_lines)
        order.version += 1
        order.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=order, changes=changes)
    return order


@service
def order_deliver(*, actor, order_id: int, expected_version: int | None = None) -> Order:
    """Mark an open order delivered; announce it with `order_delivered` after commit."""
    order = _lock_order(actor, order_id)
    _require(actor, "order", "edit", order)
    check_version(order, expected_version)
    _require_open(order)
    before = _order_snapshot(order)
    order.status = Order.Status.DELIVERED
    order.delivered_at = timezone.now()
    order.version += 1
    order.save(update_fields=["status", "delivered_at", "version", "updated_at"])
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=order,
        changes=diff(before, _order_snapshot(order)),
    )
    payload = {
        "order_id": order.pk,
        "organization_id": order.organization_id,
        "person_id": order.person_id,
        "owner_id": order.owner_id,
        "delivered_at": order.delivered_at,
    }
    transaction.on_commit(lambda: order_delivered.send(sender=Order, **payload))
    return order


@service
def order_cancel(
    *, actor, order_id: int, reason: str = "", expected_version: int | None = None
) -> Order:
    """Cancel an open or delivered order that has no invoice (a credit note cancels one first).

    Cancelling a cancelled order changes nothing.
    """
    order = _lock_order(actor, order_id)
    _require(actor, "order", "edit", order)
    check_version(order, expected_version)
    if not isinstance(reason, str):
        raise ValidationError({"reason": [_("Enter a valid value.")]})
    if order.status == Order.Status.CANCELLED:
        return order
    if _live_invoice(order) is not None:
        raise ConflictError(
            _("This order has an invoice. Correct it with a credit note or discard the draft."),
            code="invoiced",
        )
    before = _order_snapshot(order)
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancellation_reason = reason.strip()[:500]
    order.version += 1
    order.save(
        update_fields=["status", "cancelled_at", "cancellation_reason", "version", "updated_at"]
    )
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=order,
        changes=diff(before, _order_snapshot(order)),
    )
    return order


# --- invoices ------------------------------------------------------------------------------------


def _invoice_snapshot(invoice: Invoice, lines=None) -> dict:
    values = snapshot(invoice, INVOICE_AUDIT_FIELDS)
    for name in ("net_total", "tax_total", "gross_total", "cost_total"):
        values[name] = _money_text(getattr(invoice, name), invoice.currency)
    if lines is not None:
        values["lines"] = _lines_snapshot(lines, invoice.currency)
    return values


def _lock_invoice(actor, invoice_id) -> Invoice:
    return _lock(Invoice, actor, invoice_id, _("Invoice not found."))


def _refuse_issued(invoice: Invoice) -> None:
    if invoice.is_issued:
        raise ConflictError(
            _("Invoice %(number)s is issued and cannot change. Correct it with a credit note.")
            % {"number": invoice.number},
            code="invoice_issued",
        )


def _terms(value) -> int:
    if not _is_id(value) or not 0 <= value <= MAX_PAYMENT_TERMS_DAYS:
        raise ValidationError(
            {
                "payment_terms_days": [
                    _("Enter a whole number of days between 0 and %(max)d.")
                    % {"max": MAX_PAYMENT_TERMS_DAYS}
                ]
            }
        )
    return value


@service
def invoice_create_from_order(
    *, actor, order_id: int, payment_terms_days: int | None = None
) -> Invoice:
    """Draft the invoice of an order: its customer, currency, lines and totals, copied.

    An order has at most one invoice that is not cancelled by a credit note; a cancelled order
    has none. Billing needs the "invoice" edit level for the order's owner and team.
    """
    order = _lock_order(actor, order_id)
    invoice = Invoice(
        kind=Invoice.Kind.INVOICE,
        order=order,
        organization_id=order.organization_id,
        person_id=order.person_id,
        owner_id=order.owner_id,
        team_id=order.team_id,
        currency=order.currency,
        customer_reference=order.customer_reference,
        payment_terms_days=default_payment_terms()
        if payment_terms_days is None
        else _terms(payment_terms_days),
        net_total=order.net_total,
        tax_total=order.tax_total,
        gross_total=order.gross_total,
        cost_total=order.cost_total,
    )
    _require(actor, "invoice", "edit", invoice)
    if order.status == Order.Status.CANCELLED:
        raise ConflictError(_("A cancelled order cannot be invoiced."), code="order_cancelled")
    existing = _live_invoice(order)
    if existing is not None:
        raise ConflictError(
            _("This order already has an invoice (%(number)s).")
            % {"number": existing.number or _("draft")},
            code="already_invoiced",
        )
    invoice.save()
    lines = [
        InvoiceLine(
            invoice=invoice,
            order_line=line,
            position=line.position,
            product_id=line.product_id,
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            cost_price=line.cost_price,
            net=line.net,
        )
        for line in order.lines.order_by("position")
    ]
    InvoiceLine.objects.bulk_create(lines)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=invoice,
        changes=diff({}, _invoice_snapshot(invoice, lines)),
    )
    return invoice


def _credited(invoice: Invoice, *, issued_only: bool, exclude: Invoice | None = None):
    """Σ gross of the credit notes correcting `invoice` (a negative amount or zero)."""
    notes = Invoice.objects.filter(corrects=invoice)
    if issued_only:
        notes = notes.exclude(status=Invoice.Status.DRAFT)
    if exclude is not None:
        notes = notes.exclude(pk=exclude.pk)
    return notes.aggregate(total=Sum("gross_total"))["total"] or Decimal(0)


def _paid(invoice: Invoice) -> Decimal:
    return invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def open_balance_of(invoice: Invoice) -> Decimal:
    """Gross total + issued credit notes − payments, in the invoice's currency (0 for a draft)."""
    if not invoice.is_issued or invoice.is_credit_note:
        return Decimal(0)
    balance = Decimal(invoice.gross_total) + _credited(invoice, issued_only=True) - _paid(invoice)
    return _quantize(balance, invoice.currency)


def _settle(invoice: Invoice) -> dict:
    """Set an issued invoice's status from its credit notes and payments; return the change."""
    credited = _credited(invoice, issued_only=True)
    gross = Decimal(invoice.gross_total)
    balance = gross + credited - _paid(invoice)
    before = invoice.status
    if credited and gross + credited <= 0:
        invoice.status = Invoice.Status.CANCELLED
    elif balance <= 0:
        invoice.status = Invoice.Status.PAID
    else:
        invoice.status = Invoice.Status.ISSUED
    if invoice.status == before:
        return {}
    invoice.version += 1
    invoice.save(update_fields=["status", "version", "updated_at"])
    return {"status": [before, invoice.status]}


def _issue_date(value) -> dt.date:
    if value is None:
        return today()
    try:
        day = _date(value)
    except (TypeError, ValueError):
        raise ValidationError({"issue_date": [_("Enter a date as YYYY-MM-DD.")]}) from None
    except ValidationError as exc:
        raise ValidationError({"issue_date": _messages(exc)}) from None
    if day > today():
        raise ValidationError({"issue_date": [_("An invoice cannot be dated in the future.")]})
    return day


def _check_rate(invoice: Invoice, day: dt.date) -> None:
    """Reports convert revenue at the issue date's rate: refuse an issue without one."""
    try:
        rate_on(invoice.currency, day)
    except ValidationError as exc:
        raise ValidationError({"issue_date": _messages(exc)}) from None


def _credited_quantity(line: InvoiceLine, *, issued_only: bool, exclude: Invoice | None) -> Decimal:
    """How much of an invoiced line its credit notes already take back (a positive quantity)."""
    corrections = InvoiceLine.objects.filter(corrected_line=line)
    if issued_only:
        corrections = corrections.exclude(invoice__status=Invoice.Status.DRAFT)
    if exclude is not None:
        corrections = corrections.exclude(invoice=exclude)
    return -(corrections.aggregate(total=Sum("quantity"))["total"] or Decimal(0))


def _check_credit(
    original: Invoice, note: Invoice | None, lines: list[_LineSpec], *, issued_only: bool
) -> None:
    """Refuse crediting more than the invoice's gross total or an invoiced line's quantity.

    A new draft counts every other credit note (drafts too, so two drafts cannot both take the
    whole invoice back); issuing counts only the issued ones, since drafts may be discarded.
    """
    taken: dict[int, Decimal] = {}
    for spec in lines:
        corrected = spec.corrected_line
        if corrected is None:
            continue
        if corrected.pk not in taken:
            taken[corrected.pk] = _credited_quantity(
                corrected, issued_only=issued_only, exclude=note
            )
        rest = Decimal(corrected.quantity) - taken[corrected.pk]
        if spec.quantity > rest:
            raise ValidationError(
                {
                    "lines": [
                        _("Line %(position)d can be credited for at most %(quantity)s more.")
                        % {"position": corrected.position, "quantity": rest.normalize()}
                    ]
                }
            )
        taken[corrected.pk] += spec.quantity
    result = document_totals.compute([s.as_totals_line() for s in lines], original.currency)
    remaining = Decimal(original.gross_total) + _credited(
        original, issued_only=issued_only, exclude=note
    )
    if result.gross > remaining:
        raise ValidationError(
            {
                "lines": [
                    _("The credit note exceeds what is left to credit on %(number)s (%(rest)s).")
                    % {"number": original.number, "rest": _money_text(remaining, original.currency)}
                ]
            }
        )


_ISSUED_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PAID, Invoice.Status.CANCELLED)


def _spec_of_line(line: InvoiceLine) -> _LineSpec:
    return _LineSpec(
        product=line.product,
        description=line.description,
        quantity=abs(Decimal(line.quantity)),
        unit=line.unit,
        unit_price=Decimal(line.unit_price),
        discount_percent=Decimal(line.discount_percent),
        tax_rate=Decimal(line.tax_rate),
        cost_price=None if line.cost_price is None else Decimal(line.cost_price),
        corrected_line=line.corrected_line,
    )


@service
def invoice_issue(
    *,
    actor,
    invoice_id: int,
    issue_date: dt.date | str | None = None,
    expected_version: int | None = None,
) -> Invoice:
    """Issue a draft invoice or credit note: give it the next gapless number and freeze it.

    The number comes from the series "invoice" (R-2026-00042) or "credit_note" (G-2026-00003) of
    the issue date's year (default: today; a future date is refused), taken in this transaction
    after every check, so a draft that fails validation takes no number. The due date is the
    issue date plus the payment terms. A credit note re-checks what is left to credit and
    settles the corrected invoice (paid, or cancelled when fully credited). An exchange rate for
    the currency on or before the issue date must exist (revenue is reported in the base
    currency at that rate). Announces `invoice_issued` after commit.
    """
    return _issue(
        actor=actor, invoice_id=invoice_id, issue_date=issue_date, expected_version=expected_version
    )


def _issue(*, actor, invoice_id: int, issue_date, expected_version: int | None) -> Invoice:
    peek = (
        Invoice.objects.visible_to(actor).filter(pk=invoice_id).values("corrects_id").first()
        if _is_id(invoice_id)
        else None
    )
    if peek is None:
        raise NotFound(_("Invoice not found."))
    original = (
        _lock_invoice(actor, peek["corrects_id"]) if peek["corrects_id"] is not None else None
    )
    invoice = _lock_invoice(actor, invoice_id)
    _require(actor, "invoice", "edit", invoice)
    check_version(invoice, expected_version)
    _refuse_issued(invoice)
    day = _issue_date(issue_date)
    lines = list(invoice.lines.select_related("corrected_line").order_by("position"))
    if not lines:
        raise ValidationError({"lines": [_("An invoice needs at least one line.")]})
    _check_rate(invoice, day)
    if original is not None:
        if original.status not in (Invoice.Status.ISSUED, Invoice.Status.PAID):
            raise ConflictError(
                _("Invoice %(number)s can no longer be credited.") % {"number": original.number},
                code="not_creditable",
            )
        _check_credit(original, invoice, [_spec_of_line(line) for line in lines], issued_only=True)
    before = _invoice_snapshot(invoice)
    series = "credit_note" if invoice.is_credit_note else "invoice"
    invoice.number = format_number(series, day.year, next_number(series, day.year))
    invoice.status = Invoice.Status.ISSUED
    invoice.issue_date = day
    invoice.issued_at = timezone.now()
    if not invoice.is_credit_note:
        invoice.due_date = day + dt.timedelta(days=invoice.payment_terms_days)
    invoice.version += 1
    invoice.save()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=invoice,
        changes=diff(before, _invoice_snapshot(invoice)),
    )
    if original is not None:
        change = _settle(original)
        if change:
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=original, changes=change)
    payload = {
        "invoice_id": invoice.pk,
        "kind": invoice.kind,
        "organization_id": invoice.organization_id,
        "person_id": invoice.person_id,
        "issue_date": invoice.issue_date,
        "currency": invoice.currency,
        "net_total": Decimal(invoice.net_total),
    }
    transaction.on_commit(lambda: invoice_issued.send(sender=Invoice, **payload))
    return invoice


@service
def invoice_discard(*, actor, invoice_id: int) -> None:
    """Delete a draft invoice or credit note; an issued one is refused (it is kept for ever)."""
    invoice = _lock_invoice(actor, invoice_id)
    _require(actor, "invoice", "edit", invoice)
    _refuse_issued(invoice)
    lines = list(invoice.lines.order_by("position"))
    before = _invoice_snapshot(invoice, lines)
    target_id, target_repr = invoice.pk, str(invoice)
    invoice.lines.all().delete()
    invoice.delete()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.DELETE,
        target_type="invoice",
        target_id=target_id,
        target_repr=target_repr,
        changes=diff(before, {}),
    )


def _credit_lines(actor, original: Invoice, raw) -> list[_LineSpec]:
    """Validate the lines of a credit note (None: everything not yet credited)."""
    originals = {
        line.pk: line for line in original.lines.select_related("product").order_by("position")
    }
    if raw is None:
        specs = []
        for line in originals.values():
            rest = Decimal(line.quantity) - _credited_quantity(
                line, issued_only=False, exclude=None
            )
            if rest > 0:
                spec = _spec_of_line(line)
                spec.quantity, spec.corrected_line = rest, line
                specs.append(spec)
        if not specs:
            raise ConflictError(
                _("Invoice %(number)s is already fully credited.") % {"number": original.number},
                code="fully_credited",
            )
        return specs
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationError({"lines": [_("Give at least one line, or none to credit all.")]})
    if len(raw) > MAX_LINES:
        raise ValidationError({"lines": [_("At most %(count)d lines.") % {"count": MAX_LINES}]})
    specs, errors = [], {}
    for index, item in enumerate(raw):
        if isinstance(item, dict) and item.get("invoice_line_id") is not None:
            spec, line_errors = _credit_reference(item, originals)
        else:
            spec, line_errors = _parse_line(
                actor,
                {k: v for k, v in item.items() if k != "invoice_line_id"}
                if isinstance(item, dict)
                else item,
                currency=original.currency,
                on=original.issue_date,
                price_list=None,
            )
            if spec is not None and spec.product is not None and "unit_price" not in item:
                line_errors = {"unit_price": [_("Enter the unit price to credit.")]}
                spec = None
        for key, messages in line_errors.items():
            suffix = "" if key == NON_FIELD_ERRORS else f".{key}"
            errors[f"lines.{index}{suffix}"] = messages
        if spec is not None:
            specs.append(spec)
    if errors:
        raise ValidationError(errors)
    return specs


def _credit_reference(item: dict, originals: dict) -> tuple[_LineSpec | None, dict]:
    """A line crediting (part of) a line of the invoice: its price and tax, a quantity."""
    unknown = sorted(set(item) - {"invoice_line_id", "quantity"})
    if unknown:
        return None, {k: [_("Unknown field.")] for k in unknown}
    line = originals.get(item["invoice_line_id"]) if _is_id(item["invoice_line_id"]) else None
    if line is None:
        return None, {"invoice_line_id": [_("No line of this invoice has this id.")]}
    spec = _spec_of_line(line)
    spec.corrected_line = line
    if item.get("quantity") is not None:
        try:
            spec.quantity = _number(
                item["quantity"],
                places=QUANTITY_PLACES,
                maximum=MAX_QUANTITY,
                above_minimum=True,
            )
        except ValidationError as exc:
            return None, {"quantity": _messages(exc)}
        except (TypeError, ValueError):
            return None, {"quantity": [_("Enter a valid value.")]}
    if spec.quantity > Decimal(line.quantity):
        return None, {
            "quantity": [
                _("At most %(quantity)s, the quantity invoiced.")
                % {"quantity": Decimal(line.quantity).normalize()}
            ]
        }
    return spec, {}


@service
def credit_note_create(
    *, actor, invoice_id: int, lines: list | None = None, issue: bool = False
) -> Invoice:
    """Draft a credit note correcting an issued invoice; issue it with `invoice_issue`.

    `lines`: None credits everything not yet credited; otherwise a list of either
    {invoice_line_id, quantity} (part or all of an invoiced line, at its price and tax) or a
    free line {description, quantity, unit_price, tax_rate, discount_percent} (e.g. a price
    reduction). All amounts are given positive; the credit note stores them negative. The
    credit notes of an invoice never exceed its gross total nor a line's quantity. With
    `issue=True` the credit note is also issued (today), in the same transaction: both or
    neither.
    """
    original = _lock_invoice(actor, invoice_id)
    _require(actor, "invoice", "edit", original)
    if original.is_credit_note:
        raise ConflictError(_("A credit note cannot be credited."), code="not_creditable")
    if original.status not in (Invoice.Status.ISSUED, Invoice.Status.PAID):
        raise ConflictError(
            _("Only an issued invoice can be credited; a draft can simply be discarded.")
            if original.status == Invoice.Status.DRAFT
            else _("Invoice %(number)s is already cancelled.") % {"number": original.number},
            code="not_creditable",
        )
    specs = _credit_lines(actor, original, lines)
    _check_credit(original, None, specs, issued_only=False)
    result = document_totals.compute([s.as_totals_line() for s in specs], original.currency)
    negative = result.negated()
    cost = _cost_total(specs, original.currency)
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        corrects=original,
        order=original.order,
        organization_id=original.organization_id,
        person_id=original.person_id,
        owner_id=original.owner_id,
        team_id=original.team_id,
        currency=original.currency,
        customer_reference=original.customer_reference,
        payment_terms_days=0,
        net_total=negative.net,
        tax_total=negative.tax,
        gross_total=negative.gross,
        cost_total=None if cost is None else _negative(cost),
    )
    stored = []
    for position, (spec, line) in enumerate(zip(specs, result.lines, strict=True), start=1):
        fields = _line_fields(spec, position, line.net, sign=-1)
        stored.append(InvoiceLine(invoice=note, corrected_line=spec.corrected_line, **fields))
    InvoiceLine.objects.bulk_create(stored)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=note,
        changes=diff({}, _invoice_snapshot(note, stored)),
    )
    if issue:
        return _issue(actor=actor, invoice_id=note.pk, issue_date=None, expected_version=None)
    return note


# --- payments ------------------------------------------------------------------------------------


@service
def payment_record(
    *,
    actor,
    invoice_id: int,
    amount: Decimal | int | str,
    paid_on: dt.date | str | None = None,
    method: str = Payment.Method.BANK_TRANSFER,
    reference: str = "",
) -> Payment:
    """Record money received for an issued invoice (one of possibly several partial payments).

    A payment beyond the open balance (gross + issued credit notes − earlier payments), on a
    draft, on a cancelled invoice or on a credit note is refused. When the balance reaches
    zero the invoice becomes paid. Announces `payment_recorded` after commit.
    """
    invoice = _lock_invoice(actor, invoice_id)
    _require(actor, "invoice", "edit", invoice)
    if invoice.is_credit_note:
        raise ConflictError(_("Payments are recorded on invoices, not on credit notes."))
    if invoice.status == Invoice.Status.DRAFT:
        raise ConflictError(_("Issue the invoice before recording a payment."), code="draft")
    if invoice.status == Invoice.Status.CANCELLED:
        raise ConflictError(
            _("Invoice %(number)s is cancelled by a credit note.") % {"number": invoice.number},
            code="invoice_cancelled",
        )
    errors: dict[str, list[str]] = {}
    recorder = actor if getattr(actor, "is_authenticated", False) else None
    payment = Payment(invoice=invoice, recorded_by=recorder)
    try:
        payment.amount = _currency_amount(amount, invoice.currency)
        if payment.amount <= 0:
            errors["amount"] = [_("Enter an amount greater than zero.")]
    except ValidationError as exc:
        errors["amount"] = _messages(exc)
    except (TypeError, ValueError):
        errors["amount"] = [_("Enter a valid value.")]
    try:
        payment.paid_on = today() if paid_on is None else _date(paid_on)
        if payment.paid_on > today():
            errors["paid_on"] = [_("A payment cannot be dated in the future.")]
    except ValidationError as exc:
        errors["paid_on"] = _messages(exc)
    except (TypeError, ValueError):
        errors["paid_on"] = [_("Enter a valid value.")]
    if method not in Payment.Method.values:
        errors["method"] = [_("Unknown value. Allowed: %s") % ", ".join(Payment.Method.values)]
    try:
        payment.reference = _text(200)(reference)
    except TypeError:
        errors["reference"] = [_("Enter a valid value.")]
    payment.method = method
    if "amount" not in errors:
        balance = open_balance_of(invoice)
        if payment.amount > balance:
            errors["amount"] = [
                _("The payment exceeds the open balance of %(balance)s %(currency)s.")
                % {"balance": _money_text(balance, invoice.currency), "currency": invoice.currency}
            ]
    if errors:
        raise ValidationError(errors)
    payment.save()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=payment,
        target_repr=f"{invoice.number}: {_money_text(payment.amount, invoice.currency)}",
        changes=diff(
            {},
            {
                "invoice": invoice.pk,
                "amount": _money_text(payment.amount, invoice.currency),
                "paid_on": payment.paid_on,
                "method": payment.method,
                "reference": payment.reference,
            },
        ),
    )
    change = _settle(invoice)
    if change:
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=invoice, changes=change)
    payload = {
        "payment_id": payment.pk,
        "invoice_id": invoice.pk,
        "organization_id": invoice.organization_id,
        "person_id": invoice.person_id,
        "amount": Decimal(payment.amount),
        "currency": invoice.currency,
        "paid_on": payment.paid_on,
    }
    transaction.on_commit(lambda: payment_recorded.send(sender=Payment, **payload))
    return payment


# --- subscriptions -------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Return `day` moved by whole months, clamped to the month's last day (31 Jan + 1 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def _period_months(period: str) -> int:
    return Subscription.MONTHS[period]


def _subscription_snapshot(subscription: Subscription) -> dict:
    values = snapshot(subscription, SUBSCRIPTION_AUDIT_FIELDS)
    values["amount"] = _money_text(subscription.amount, subscription.currency)
    return values


def _lock_subscription(actor, subscription_id) -> Subscription:
    return _lock(Subscription, actor, subscription_id, _("Subscription not found."))


def _billing_period(value) -> str:
    if value not in Subscription.BillingPeriod.values:
        raise ValidationError(
            _("Unknown value. Allowed: %s") % ", ".join(Subscription.BillingPeriod.values)
        )
    return value


def _subscription_apply(
    actor, subscription: Subscription, fields: dict, errors: dict[str, list[str]]
) -> None:
    def apply(name: str, build) -> None:
        if name not in fields:
            return
        try:
            setattr(subscription, name, build(fields[name]))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                _merge(errors, exc.message_dict)
            else:
                errors[RELATION_KEYS.get(name, name)] = _messages(exc)
        except (TypeError, ValueError, AttributeError):
            errors[RELATION_KEYS.get(name, name)] = [_("Enter a valid value.")]

    def optional_date(value):
        return None if value is None else _date(value)

    apply(
        "organization",
        lambda v: _visible_customer(Organization, "organization_id", actor, v),
    )
    apply("person", lambda v: _visible_customer(Person, "person_id", actor, v))
    apply("owner", _owner)
    apply("team", _team)
    apply("product", lambda v: None if v is None else _product(actor, v))
    apply("description", _text(500))
    apply("currency", parse_currency)
    apply("billing_period", _billing_period)
    apply("start_date", _date)
    apply("end_date", optional_date)
    apply("renewal_date", optional_date)
    product = subscription.product if subscription.product_id else None
    if product is not None:
        if not subscription.description and "description" not in errors:
            subscription.description = product_name(product)
        if "billing_period" not in fields and not subscription.billing_period:
            subscription.billing_period = product.billing_period
    _subscription_amount(subscription, fields, errors, product)
    if not subscription.description and "description" not in errors:
        errors["description"] = [_("Describe the subscription or choose a product.")]
    if not subscription.billing_period and "billing_period" not in errors:
        errors["billing_period"] = [_("Choose month, quarter or year.")]
    if (
        subscription.end_date is not None
        and subscription.start_date is not None
        and subscription.end_date < subscription.start_date
        and not {"end_date", "start_date"} & set(errors)
    ):
        errors["end_date"] = [_("The end cannot be before the start.")]
    if (
        subscription.renewal_date is not None
        and subscription.start_date is not None
        and subscription.renewal_date <= subscription.start_date
        and not {"renewal_date", "start_date"} & set(errors)
    ):
        errors["renewal_date"] = [_("The renewal date must be after the start.")]
    _check_customer(errors, subscription)


def _subscription_amount(
    subscription: Subscription, fields: dict, errors: dict[str, list[str]], product
) -> None:
    """Validate the amount in the subscription's currency (also when only the currency changed);
    without one, take the product's price on the currency's default list at the start."""
    if "currency" in errors or "amount" in errors:
        return
    if "amount" in fields:
        raw = fields["amount"]
    elif "currency" in fields and subscription.amount is not None:
        raw = subscription.amount
    else:
        raw = None
    if raw is not None:
        try:
            amount = _currency_amount(raw, subscription.currency)
        except ValidationError as exc:
            errors["amount"] = _messages(exc)
            return
        except (TypeError, ValueError):
            errors["amount"] = [_("Enter a valid value.")]
            return
        if amount < 0:
            errors["amount"] = [_("The amount cannot be negative.")]
        elif amount >= MAX_AMOUNT:
            errors["amount"] = [_("The number is too large.")]
        subscription.amount = amount
        return
    if subscription.amount is not None:
        return
    if product is None:
        errors["amount"] = [_("Enter the amount per period or choose a product.")]
        return
    if "start_date" in errors:
        return
    try:
        subscription.amount = price_for(
            product=product, on=subscription.start_date, currency=subscription.currency
        ).amount
    except ValidationError as exc:
        errors["amount"] = _messages(exc)


@service
def subscription_create(*, actor, data: dict) -> Subscription:
    """Create a subscription (a recurring contract) for an organisation and/or a person.

    `data`: organization_id, person_id, owner_id (default: the actor), team_id, product_id,
    description (default: the product's name), amount per period (default: the product's price
    on the currency's default list at the start), currency (default EUR), billing_period
    (month, quarter, year; default: the product's), start_date (default: today), end_date (last
    day of service; null: until cancelled), renewal_date (default: start + one period).
    """
    _require_some(actor, "order", "subscription")
    fields = _rename_ids(data)
    _unknown(fields, SUBSCRIPTION_FIELDS)
    subscription = Subscription(
        owner=actor,
        team=_default_team(actor),
        currency=DEFAULT_CURRENCY,
        start_date=today(),
        amount=None,
        billing_period="",
    )
    errors: dict[str, list[str]] = {}
    _subscription_apply(actor, subscription, fields, errors)
    if errors:
        raise ValidationError(errors)
    if "renewal_date" not in fields:
        subscription.renewal_date = add_months(
            subscription.start_date, _period_months(subscription.billing_period)
        )
    _require(actor, "subscription", "edit", subscription)
    subscription.save()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=subscription,
        changes=diff({}, _subscription_snapshot(subscription)),
    )
    return subscription


def _refuse_cancelled(subscription: Subscription) -> None:
    if subscription.is_cancelled:
        raise ConflictError(
            _("This subscription is cancelled and can no longer change."), code="cancelled"
        )


@service
def subscription_update(
    *, actor, subscription_id: int, data: dict, expected_version: int | None = None
) -> Subscription:
    """Change the given fields of a subscription that is not cancelled."""
    fields = _rename_ids(data)
    _unknown(fields, SUBSCRIPTION_FIELDS)
    subscription = _lock_subscription(actor, subscription_id)
    _require(actor, "subscription", "edit", subscription)
    check_version(subscription, expected_version)
    _refuse_cancelled(subscription)
    before = _subscription_snapshot(subscription)
    errors: dict[str, list[str]] = {}
    _subscription_apply(actor, subscription, fields, errors)
    if errors:
        raise ValidationError(errors)
    _require(actor, "subscription", "edit", subscription)
    changes = diff(before, _subscription_snapshot(subscription))
    if changes:
        subscription.version += 1
        subscription.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=subscription, changes=changes)
    return subscription


@service
def subscription_cancel(
    *,
    actor,
    subscription_id: int,
    reason: str,
    end_date: dt.date | str | None = None,
    expected_version: int | None = None,
) -> Subscription:
    """Cancel a subscription: record when and why, and end it.

    `end_date` is the last day of service; by default the day before the renewal date (the end
    of the current term), or today when that has passed. A reason is required.
    """
    subscription = _lock_subscription(actor, subscription_id)
    _require(actor, "subscription", "edit", subscription)
    check_version(subscription, expected_version)
    _refuse_cancelled(subscription)
    errors: dict[str, list[str]] = {}
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = [_("Say why the subscription is cancelled.")]
    if end_date is None:
        renewal = subscription.renewal_date
        last = renewal - dt.timedelta(days=1) if renewal and renewal > today() else today()
        end = max(last, subscription.start_date)
        if subscription.end_date is not None:
            end = min(end, subscription.end_date)
    else:
        try:
            end = _date(end_date)
        except ValidationError as exc:
            errors["end_date"] = _messages(exc)
        except (TypeError, ValueError):
            errors["end_date"] = [_("Enter a valid value.")]
        else:
            if end < subscription.start_date:
                errors["end_date"] = [_("The end cannot be before the start.")]
    if errors:
        raise ValidationError(errors)
    before = _subscription_snapshot(subscription)
    subscription.cancelled_at = timezone.now()
    subscription.cancellation_reason = reason.strip()[:500]
    subscription.end_date = end
    subscription.renewal_date = None
    subscription.version += 1
    subscription.save()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=subscription,
        changes=diff(before, _subscription_snapshot(subscription)),
    )
    return subscription


@service
def subscription_renew(
    *, actor, subscription_id: int, expected_version: int | None = None
) -> Subscription:
    """Renew a subscription for one more billing period.

    The renewal date moves one period on; a fixed end date moves with it, so the contract runs
    to the day before the new renewal date. A cancelled subscription cannot be renewed.
    """
    subscription = _lock_subscription(actor, subscription_id)
    _require(actor, "subscription", "edit", subscription)
    check_version(subscription, expected_version)
    _refuse_cancelled(subscription)
    before = _subscription_snapshot(subscription)
    months = _period_months(subscription.billing_period)
    current = subscription.renewal_date or add_months(subscription.start_date, months)
    subscription.renewal_date = add_months(current, months)
    if subscription.end_date is not None:
        subscription.end_date = subscription.renewal_date - dt.timedelta(days=1)
    subscription.version += 1
    subscription.save()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=subscription,
        changes=diff(before, _subscription_snapshot(subscription)),
    )
    return subscription
