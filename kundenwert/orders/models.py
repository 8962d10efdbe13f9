"""Orders, invoices with their credit notes, payments and subscriptions: the revenue records.

Precision, chosen once for the whole app: unit prices, cost prices and every stored amount have
up to 4 decimal places in 18 digits (the catalogue's precision; 4 covers every ISO 4217 minor
unit). Totals are stored already rounded to the document currency's minor units
(kundenwert/orders/totals.py), so the extra places of a total are always zero. Quantities have
4 places (0.25 h, 1.5 m²), discounts and tax rates are percentages with 2 places.

Visibility follows org.policies like deals: orders and subscriptions are entity "order",
invoices, credit notes and payments are entity "invoice" (payments are seen through their
invoice). An invoice copies the owner and team of its order.

An issued invoice or credit note never changes: the services refuse every change, and a credit
note (an Invoice of kind credit_note with negative lines and totals) corrects it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kundenwert.catalog.models import PriceList, Product
from kundenwert.contacts.models import Organization, Person
from kundenwert.core.models import TimestampedModel
from kundenwert.org.models import Team
from kundenwert.org.policies import scope_q
from kundenwert.sales.models import Deal

AMOUNT_DIGITS, AMOUNT_PLACES = 18, 4
QUANTITY_DIGITS, QUANTITY_PLACES = 14, 4
PERCENT_DIGITS, PERCENT_PLACES = 5, 2


def customer_required_message():
    return _("Link an organisation or a person as the customer.")


def _amount(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs
    )


def _customer_constraint(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(organization__isnull=False) | Q(person__isnull=False),
        name=name,
        violation_error_message=customer_required_message(),
    )


class _Visible(models.QuerySet):
    """A queryset that narrows itself to what a viewer may read (entity set by subclasses)."""

    entity = ""

    def visible_to(self, viewer, action: str = "read"):
        q = scope_q(viewer, self.entity, action)
        return self if q is None else self.filter(q)


class OrderQuerySet(_Visible):
    entity = "order"


class InvoiceQuerySet(_Visible):
    entity = "invoice"


class SubscriptionQuerySet(_Visible):
    entity = "order"


class NumberSequence(models.Model):
    """The last number given out in one gapless series, e.g. the invoices of 2026.

    One row per (key, year); `numbering.next_number` locks it with SELECT … FOR UPDATE inside the
    transaction that uses the number, so a rolled-back document gives its number back.
    """

    key = models.CharField(_("series"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["key", "year"], name="number_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.year}: {self.last_number}"


class _Customer(models.Model):
    """The customer, owner and team every revenue record carries."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def customer_key(self) -> str:
        """ "o:<id>" for an organisation, else "p:<id>": how the value engine names customers."""
        if self.organization_id is not None:
            return f"o:{self.organization_id}"
        return f"p:{self.person_id}"


class Order(_Customer, TimestampedModel):
    """A customer's binding order: what was sold, at which prices, for delivery.

    Numbered at creation from the gapless series "order" (B-2026-00017). Open orders can be
    changed, delivered or cancelled; an invoice is drafted from an open or delivered order.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=32, unique=True)
    deal = models.ForeignKey(
        Deal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("deal"),
    )
    price_list = models.ForeignKey(
        PriceList,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("price list"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    ordered_on = models.DateField(_("order date"))
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), max_length=10_000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    net_total = _amount(_("net total"), default=0)
    tax_total = _amount(_("tax total"), default=0)
    gross_total = _amount(_("gross total"), default=0)
    # Null when a line's cost is unknown: then the margin is unknown too (never guessed as 0).
    cost_total = _amount(_("cost total"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [_customer_constraint("order_has_customer")]
        indexes = [
            models.Index(fields=["ordered_on", "id"], name="order_ordered_id"),
            models.Index(fields=["updated_at", "id"], name="order_updated_id"),
            models.Index(fields=["owner", "ordered_on", "id"], name="order_owner_ordered"),
            models.Index(fields=["team", "ordered_on", "id"], name="order_team_ordered"),
            models.Index(fields=["organization", "ordered_on"], name="order_organization"),
            models.Index(fields=["person", "ordered_on"], name="order_person"),
            models.Index(fields=["status", "ordered_on", "id"], name="order_status_ordered"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def margin(self):
        return None if self.cost_total is None else self.net_total - self.cost_total


class _Line(models.Model):
    """The fields every document line shares (order lines, invoice lines)."""

    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(
        _("quantity"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = _amount(_("unit price"))
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=PERCENT_DIGITS, decimal_places=PERCENT_PLACES, default=0
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=PERCENT_DIGITS, decimal_places=PERCENT_PLACES
    )
    # Per unit, in the document's currency; null: unknown (no margin for this line).
    cost_price = _amount(_("cost price"), null=True, blank=True)
    net = _amount(_("net amount"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class OrderLine(_Line):
    """One line of an order: so many units of a product or service at a price."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity"),
        ]


class Invoice(_Customer, TimestampedModel):
    """An invoice to a customer, or a credit note correcting one (kind "credit_note").

    A draft has no number; `invoice_issue` gives it the next number of its series (R-2026-00042
    or G-2026-00003) in the transaction that issues it. Once issued it never changes. A credit
    note has negative lines and totals and names the invoice it corrects. The open balance is
    derived (gross total + issued credit notes − payments), and so is "overdue".
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled by credit note")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField(_("number"), max_length=32, blank=True)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("corrected invoice"),
    )
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("order"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    customer_reference = models.CharField(_("customer reference"), max_length=100, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    net_total = _amount(_("net total"), default=0)
    tax_total = _amount(_("tax total"), default=0)
    gross_total = _amount(_("gross total"), default=0)
    cost_total = _amount(_("cost total"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            _customer_constraint("invoice_has_customer"),
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="", issue_date__isnull=True)
                | (~Q(status="draft") & ~Q(number="") & Q(issue_date__isnull=False)),
                name="invoice_number_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="credit_note", corrects__isnull=False),
                name="invoice_credit_note_corrects",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="invoice_created_id"),
            models.Index(fields=["updated_at", "id"], name="invoice_updated_id"),
            models.Index(fields=["number", "id"], name="invoice_number_id"),
            models.Index(fields=["status", "issue_date"], name="invoice_status_issued"),
            models.Index(fields=["status", "due_date"], name="invoice_status_due"),
            models.Index(fields=["organization", "issue_date"], name="invoice_organization"),
            models.Index(fields=["person", "issue_date"], name="invoice_person"),
            models.Index(fields=["owner", "created_at", "id"], name="invoice_owner_created"),
            models.Index(fields=["team", "created_at", "id"], name="invoice_team_created"),
        ]

    def __str__(self) -> str:
        if self.number:
            return self.number
        if self.kind == self.Kind.CREDIT_NOTE:
            return str(_("Draft credit note %(id)s") % {"id": self.pk})
        return str(_("Draft invoice %(id)s") % {"id": self.pk})

    @property
    def is_issued(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def margin(self):
        return None if self.cost_total is None else self.net_total - self.cost_total


class InvoiceLine(_Line):
    """One line of an invoice (copied from its order) or of a credit note (negative quantity)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=~Q(quantity=0), name="invoice_line_quantity"),
        ]


class Payment(models.Model):
    """Money received for an invoice: one of possibly several partial payments."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("bank transfer")
        DIRECT_DEBIT = "direct_debit", _("direct debit")
        CARD = "card", _("card")
        CASH = "cash", _("cash")
        PAYPAL = "paypal", _("PayPal")
        OTHER = "other", _("other")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = _amount(_("amount"))
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(
        _("method"), max_length=16, choices=Method.choices, default=Method.BANK_TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["invoice", "paid_on", "id"], name="payment_invoice")]

    def __str__(self) -> str:
        return f"{self.amount} ({self.paid_on})"


class Subscription(_Customer, TimestampedModel):
    """A recurring contract: so much per month, quarter or year from a start date.

    `end_date` is the last day of service (null: runs until cancelled); `renewal_date` the day the
    next term starts. Cancelling records when and why and sets the end. Its monthly recurring
    revenue is the amount per period divided by the period's months.
    """

    class BillingPeriod(models.TextChoices):
        MONTH = "month", _("monthly")
        QUARTER = "quarter", _("quarterly")
        YEAR = "year", _("yearly")

    MONTHS = {"month": 1, "quarter": 3, "year": 12}

    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    description = models.CharField(_("description"), max_length=500)
    amount = _amount(_("amount per period"))
    currency = models.CharField(_("currency"), max_length=3)
    billing_period = models.CharField(
        _("billing period"), max_length=8, choices=BillingPeriod.choices
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            _customer_constraint("subscription_has_customer"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="subscription_amount"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="subscription_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["start_date", "id"], name="subscription_start_id"),
            models.Index(fields=["updated_at", "id"], name="subscription_updated_id"),
            models.Index(fields=["renewal_date", "id"], name="subscription_renewal_id"),
            models.Index(fields=["organization", "start_date"], name="subscription_org"),
            models.Index(fields=["person", "start_date"], name="subscription_person"),
            models.Index(fields=["owner", "start_date", "id"], name="subscription_owner"),
            models.Index(fields=["team", "start_date", "id"], name="subscription_team"),
            models.Index(fields=["end_date"], name="subscription_end"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def is_active_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)
