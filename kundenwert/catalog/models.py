"""What the company sells and at what price: products, tax rates, price lists, exchange rates.

The catalogue has no owner: everyone whose role can read "product" reads all of it, and changing
it needs the level "all" (see kundenwert/org/models.py, SHIPPED_ROLES).

Amounts are `DecimalField`s, never floats. Precision, chosen once for the whole catalogue:
unit and cost prices carry up to 4 decimal places (a price per API call may be 0.0125 EUR; a
line total is rounded to the currency's minor unit when a quote computes it), 18 digits in all;
a tax rate is a percentage with 2 places (19.00); an exchange rate has 10 places and up to
10 integer digits (1 EUR = 17 234.5 IDR fits, and so do the 4–6 significant digits that central
banks publish for every currency).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from kundenwert.core.models import ArchivableModel
from kundenwert.core.normalize import search_text
from kundenwert.org.models import Level
from kundenwert.org.policies import permissions_for

ENTITY = "product"  # the permission entity of every catalogue record

PRICE_DIGITS, PRICE_PLACES = 18, 4
RATE_DIGITS, RATE_PLACES = 20, 10


def base_currency() -> str:
    """Return the currency reports are converted into (setting BASE_CURRENCY, default EUR)."""
    return str(getattr(settings, "BASE_CURRENCY", "EUR")).upper()


def product_search_text(*, sku: str, name_de: str, name_en: str) -> str:
    """The text a product is found by (services and bulk loaders both use this)."""
    return search_text(sku, name_de, name_en)


class CatalogQuerySet(models.QuerySet):
    """Catalogue rows: visible in full to anyone with any read level on "product"."""

    def visible_to(self, viewer, action: str = "read"):
        # No owner, no team: "own" or "team" on an ownerless record means nothing narrower
        # than the whole catalogue, so any level above "none" shows everything.
        if permissions_for(viewer).level(ENTITY, action) > Level.NONE:
            return self
        return self.none()

    def active(self):
        return self.filter(archived_at__isnull=True)


class _FieldConstraintErrors:
    """Report a violated database constraint on the field it is about, not on `__all__`.

    Django attaches the error of an expression or check constraint to no field; the API and
    the forms should point at the field. `CONSTRAINT_FIELDS` maps a constraint's
    `violation_error_code` to that field.
    """

    CONSTRAINT_FIELDS: dict[str, str] = {}

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            moved: dict[str, list] = {}
            for key, errors in exc.error_dict.items():
                for error in errors:
                    field = self.CONSTRAINT_FIELDS.get(error.code, key)
                    moved.setdefault(field if key == NON_FIELD_ERRORS else key, []).append(error)
            raise ValidationError(moved) from None


class TaxRate(_FieldConstraintErrors, ArchivableModel):
    """A value-added tax rate a product is sold with, e.g. the German standard rate of 19 %.

    Installations start with the German rates of § 12 UStG (19 % standard, 7 % reduced) and
    0 % for exempt supplies (§ 4 UStG); administrators add, change and archive rates. A quote
    copies the percentage onto its lines, so changing a rate never alters an issued document.
    """

    class Preset(models.TextChoices):
        NONE = "", _("none")
        STANDARD = "standard", _("standard rate")
        REDUCED = "reduced", _("reduced rate")
        EXEMPT = "exempt", _("tax-exempt")

    # The names the presets are created with; shown translated as long as nobody renamed them.
    PRESET_NAMES = {
        Preset.STANDARD: gettext_noop("Standard rate (19 %)"),
        Preset.REDUCED: gettext_noop("Reduced rate (7 %)"),
        Preset.EXEMPT: gettext_noop("Tax-exempt (0 %)"),
    }
    CONSTRAINT_FIELDS = {"tax_rate_name_taken": "name", "tax_rate_range": "rate"}

    name = models.CharField(_("name"), max_length=100)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    is_default = models.BooleanField(_("default"), default=False)
    preset = models.CharField(
        max_length=16, choices=Preset.choices, blank=True, default="", editable=False
    )

    objects = CatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tax_rate_name_ci_unique",
                violation_error_code="tax_rate_name_taken",
                violation_error_message=_("A tax rate with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="tax_rate_one_default"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=100),
                name="tax_rate_range",
                violation_error_code="tax_rate_range",
                violation_error_message=_("Enter a percentage between 0 and 100."),
            ),
        ]
        indexes = [models.Index(fields=["rate", "id"], name="tax_rate_rate_id")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language: a preset's own name is translated, others not."""
        return tax_rate_display_name(self.name, self.preset)


def tax_rate_display_name(name: str, preset: str) -> str:
    """Return a tax rate's name for display, from `values()` rows as well as from records."""
    source = TaxRate.PRESET_NAMES.get(preset)
    return gettext(source) if source and name == source else name


class Product(_FieldConstraintErrors, ArchivableModel):
    """Something the company sells: a good, a service, a licence or a subscription."""

    class BillingPeriod(models.TextChoices):
        NONE = "", _("none")
        MONTH = "month", _("monthly")
        QUARTER = "quarter", _("quarterly")
        YEAR = "year", _("yearly")

    # Units a form offers; the field is free text, so "Seat" or "m²" are fine too.
    UNIT_PRESETS = {
        "piece": _("piece"),
        "hour": _("hour"),
        "day": _("day"),
        "month": _("month"),
        "year": _("year"),
        "licence": _("licence"),
        "flat rate": _("flat rate"),
    }
    CONSTRAINT_FIELDS = {
        "product_sku_taken": "sku",
        "product_cost_price": "cost_price",
        "product_billing_period": "billing_period",
    }

    sku = models.CharField(_("SKU"), max_length=64)
    name_de = models.CharField(_("name (German)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_de = models.TextField(_("description (German)"), max_length=10_000, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=10_000, blank=True)
    unit = models.CharField(_("unit"), max_length=30, default="piece")
    tax_rate = models.ForeignKey(
        TaxRate, on_delete=models.PROTECT, related_name="products", verbose_name=_("tax rate")
    )
    # Unknown cost (null) differs from zero cost: a margin is only computed when it is known.
    cost_price = models.DecimalField(
        _("cost price"),
        max_digits=PRICE_DIGITS,
        decimal_places=PRICE_PLACES,
        null=True,
        blank=True,
    )
    cost_currency = models.CharField(_("cost currency"), max_length=3, default=base_currency)
    is_recurring = models.BooleanField(_("recurring"), default=False)
    billing_period = models.CharField(
        _("billing period"), max_length=8, choices=BillingPeriod.choices, blank=True, default=""
    )
    search_text = models.TextField(blank=True, editable=False)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(
                Lower("sku"),
                name="product_sku_ci_unique",
                violation_error_code="product_sku_taken",
                violation_error_message=_("A product with this SKU already exists."),
            ),
            models.CheckConstraint(
                condition=Q(cost_price__isnull=True) | Q(cost_price__gte=0),
                name="product_cost_price",
                violation_error_code="product_cost_price",
                violation_error_message=_("The cost price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=(Q(is_recurring=True) & ~Q(billing_period=""))
                | (Q(is_recurring=False) & Q(billing_period="")),
                name="product_billing_period",
                violation_error_code="product_billing_period",
                violation_error_message=_(
                    "A recurring product needs a billing period; a one-off product has none."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["sku", "id"], name="product_sku_id"),
            models.Index(fields=["updated_at", "id"], name="product_updated_id"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {product_name(self)}"

    def clean(self) -> None:
        if not (self.name_de or self.name_en):
            raise ValidationError(
                {"name_de": [_("Enter a name in German or English.")]}, code="name_required"
            )

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)


def unit_label(unit: str) -> str:
    """Return the unit in the active language when it is one of the presets, else as written."""
    label = Product.UNIT_PRESETS.get(unit)
    return str(label) if label is not None else unit


def product_name(product: Product, language: str | None = None) -> str:
    """Return the product's name in `language` (default: the active one), else the other one."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2].lower()
    first, second = (
        (product.name_en, product.name_de)
        if language == "en"
        else (product.name_de, product.name_en)
    )
    return first or second


class PriceList(_FieldConstraintErrors, ArchivableModel):
    """Prices in one currency for a period, e.g. "List prices 2026 (EUR)" or "Partners (USD)".

    A currency has at most one default list; a quote in that currency takes its prices from it
    unless a list is named.
    """

    CONSTRAINT_FIELDS = {"price_list_name_taken": "name", "price_list_validity": "valid_until"}

    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_default = models.BooleanField(_("default for its currency"), default=False)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="price_list_name_ci_unique",
                violation_error_code="price_list_name_taken",
                violation_error_message=_("A price list with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["currency"],
                condition=Q(is_default=True),
                name="price_list_one_default_per_currency",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="price_list_validity",
                violation_error_code="price_list_validity",
                violation_error_message=_("The end of validity cannot be before its start."),
            ),
        ]
        indexes = [
            models.Index(fields=["currency", "valid_from"], name="price_list_currency"),
            models.Index(fields=["updated_at", "id"], name="price_list_updated_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Price(_FieldConstraintErrors, models.Model):
    """The net unit price of one product on one price list, in the list's currency."""

    CONSTRAINT_FIELDS = {"price_unit_price": "unit_price"}

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="prices")
    unit_price = models.DecimalField(
        _("unit price"), max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="price_unique_per_list"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="price_unit_price",
                violation_error_code="price_unit_price",
                violation_error_message=_("The unit price cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="price_product")]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.price_list.name}: {self.unit_price}"


class ExchangeRate(_FieldConstraintErrors, models.Model):
    """How many units of a currency one unit of the base currency bought on a day.

    E.g. (USD, 2026-01-02, 1.0823): 1 EUR = 1.0823 USD. An amount is converted at the latest
    rate on or before its date. The base currency itself has no rate (it is always 1).
    """

    CONSTRAINT_FIELDS = {"exchange_rate_positive": "rate"}

    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=RATE_DIGITS, decimal_places=RATE_PLACES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "date"],
                name="exchange_rate_unique_day",
                violation_error_message=_("There already is a rate for this currency and day."),
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0),
                name="exchange_rate_positive",
                violation_error_code="exchange_rate_positive",
                violation_error_message=_("Enter a rate greater than zero."),
            ),
        ]
        indexes = [models.Index(fields=["date", "currency"], name="exchange_rate_date")]

    def __str__(self) -> str:
        return f"1 {base_currency()} = {self.rate.normalize():f} {self.currency} ({self.date})"
