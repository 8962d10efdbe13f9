"""Read use cases of the catalogue: lists, prices on a day, and conversion between currencies."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation
from django.utils.translation import gettext as _

from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.core.listing import (
    Filter,
    ListSpec,
    parse_bool,
    parse_int,
    run_list,
    sorts,
)
from kundenwert.core.money import Money
from kundenwert.core.pagination import Page

from .models import (
    ExchangeRate,
    Price,
    PriceList,
    Product,
    TaxRate,
    base_currency,
    product_name,
)

__all__ = [
    "base_currency",
    "convert",
    "exchange_rate_list",
    "price_for",
    "price_list_get",
    "price_list_list",
    "price_list_prices",
    "product_get",
    "product_list",
    "product_name",
    "products_visible_to",
    "rate_on",
    "tax_rate_get",
    "tax_rate_list",
]

# Divisions of exchange rates keep this many significant digits before the final rounding.
_PRECISION = 34


def _archived_filter(value: str) -> Q:
    """`archived=true` lists only archived records, `false` (the default) only active ones."""
    return Q(archived_at__isnull=not parse_bool(value, "archived"))


def _active_unless_asked(queryset: QuerySet, params: dict[str, str]) -> QuerySet:
    return queryset if "archived" in params else queryset.filter(archived_at__isnull=True)


def _day(value: str, name: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or len(value) != 10:
        raise ValidationError({name: [_("Enter a date as YYYY-MM-DD.")]})
    return parsed


def _currency_filter(value: str) -> Q:
    try:
        return Q(currency=Money.zero(value).currency)
    except (ValidationError, TypeError):
        raise ValidationError({"currency": [_("Enter a known ISO 4217 currency code.")]}) from None


def _name_order() -> Coalesce:
    """The product's name in the active language, else the other one: what lists show."""
    english = (translation.get_language() or "")[:2] == "en"
    first, second = ("name_en", "name_de") if english else ("name_de", "name_en")
    return Coalesce(NullIf(F(first), Value("")), F(second))


# --- products ------------------------------------------------------------------------------------

PRODUCT_LIST = ListSpec(
    filters={
        "archived": Filter(_archived_filter, "true: archived only; false (default): active only"),
        "recurring": Filter(lambda v: Q(is_recurring=parse_bool(v, "recurring")), "true/false"),
        "tax_rate": Filter(lambda v: Q(tax_rate_id=parse_int(v, "tax_rate")), "tax rate id"),
    },
    sorts=sorts(("name", ["name"]), ("sku", ["sku"]), ("updated", ["updated_at"])),
    default_sort="name",
)


def products_visible_to(viewer) -> QuerySet[Product]:
    return Product.objects.visible_to(viewer)


def product_list(*, viewer, params: dict[str, str], values: tuple[str, ...] | None = None) -> Page:
    """Return one page of the products `viewer` may see, filtered by allow-listed params.

    Every row carries `name`: the name in the active language, else the other one (the list
    sorts by it). With `values`, rows are dicts of those columns (relations with `__`, e.g.
    `tax_rate__name`), in one query.
    """
    qs = _active_unless_asked(products_visible_to(viewer), params).annotate(name=_name_order())
    if values is None:
        return run_list(qs.select_related("tax_rate"), PRODUCT_LIST, params=params)
    return run_list(qs, PRODUCT_LIST, params=params, values=tuple(dict.fromkeys(values)))


def product_get(*, viewer, product_id: int) -> Product:
    """Return the product (archived ones too), or raise NotFound."""
    product = products_visible_to(viewer).select_related("tax_rate").filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found."))
    return product


# --- tax rates -----------------------------------------------------------------------------------

TAX_RATE_LIST = ListSpec(
    filters={
        "archived": Filter(_archived_filter, "true: archived only; false (default): active only"),
    },
    sorts=sorts(("rate", ["rate"]), ("name", ["name"])),
    default_sort="-rate",
    searchable=False,
)


def tax_rate_list(*, viewer, params: dict[str, str]) -> Page:
    """Return the tax rates, highest first (the default rate is usually the first)."""
    qs = _active_unless_asked(TaxRate.objects.visible_to(viewer), params)
    return run_list(qs, TAX_RATE_LIST, params=params)


def tax_rate_get(*, viewer, tax_rate_id: int) -> TaxRate:
    rate = TaxRate.objects.visible_to(viewer).filter(pk=tax_rate_id).first()
    if rate is None:
        raise NotFound(_("Tax rate not found."))
    return rate


# --- price lists ---------------------------------------------------------------------------------


def _valid_on(value: str) -> Q:
    day = _day(value, "valid_on")
    return Q(valid_from__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


PRICE_LIST_LIST = ListSpec(
    filters={
        "archived": Filter(_archived_filter, "true: archived only; false (default): active only"),
        "currency": Filter(_currency_filter, "ISO 4217 code"),
        "valid_on": Filter(_valid_on, "YYYY-MM-DD: lists valid on that day"),
        "default": Filter(lambda v: Q(is_default=parse_bool(v, "default")), "true/false"),
    },
    sorts=sorts(("name", ["name"]), ("valid_from", ["valid_from"]), ("updated", ["updated_at"])),
    default_sort="name",
    searchable=False,
)


def price_list_list(
    *, viewer, params: dict[str, str], values: tuple[str, ...] | None = None
) -> Page:
    """Return one page of the price lists `viewer` may see."""
    qs = _active_unless_asked(PriceList.objects.visible_to(viewer), params)
    return run_list(qs, PRICE_LIST_LIST, params=params, values=values)


def price_list_get(*, viewer, price_list_id: int) -> PriceList:
    price_list = PriceList.objects.visible_to(viewer).filter(pk=price_list_id).first()
    if price_list is None:
        raise NotFound(_("Price list not found."))
    return price_list


PRICE_LIST_PRICES = ListSpec(
    filters={},
    sorts=sorts(("sku", ["sku"]), ("updated", ["updated_at"])),
    default_sort="sku",
    searchable=False,
)


def price_list_prices(*, viewer, price_list_id: int, params: dict[str, str]) -> Page:
    """Return one page of a list's prices with their products, by SKU."""
    price_list = price_list_get(viewer=viewer, price_list_id=price_list_id)
    qs = (
        Price.objects.filter(price_list=price_list)
        .select_related("product", "price_list")
        .annotate(sku=F("product__sku"))
    )
    return run_list(qs, PRICE_LIST_PRICES, params=params)


def _price_list_for(currency: str, on: dt.date) -> PriceList:
    code = Money.zero(currency).currency
    found = (
        PriceList.objects.filter(currency=code, is_default=True, archived_at__isnull=True)
        .filter(Q(valid_from__lte=on) & (Q(valid_until__isnull=True) | Q(valid_until__gte=on)))
        .first()
    )
    if found is None:
        raise ValidationError(
            _("There is no default price list in %(currency)s valid on %(date)s.")
            % {"currency": code, "date": on.isoformat()},
            code="no_price_list",
        )
    return found


def price_for(
    *,
    product: Product | int,
    on: dt.date,
    price_list: PriceList | int | None = None,
    currency: str | None = None,
) -> Money:
    """Return the product's net unit price on `on`, from `price_list` or `currency`'s default.

    Give exactly one of `price_list` and `currency`. Raises ValidationError (code
    `no_price_list`, `price_list_archived`, `price_list_not_valid` or `no_price`) when there is
    no price to quote: a quote must refuse the line, never guess. The amount is exact (up to 4
    places); rounding happens on the quote's line totals. Whether the product itself may still
    be sold (not archived) is the caller's check.
    """
    if (price_list is None) == (currency is None):
        raise TypeError("Give either price_list or currency.")
    if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
        raise TypeError("`on` is a date.")
    if currency is not None:
        chosen = _price_list_for(currency, on)
    elif isinstance(price_list, PriceList):
        chosen = price_list
    else:
        chosen = PriceList.objects.filter(pk=price_list).first()
        if chosen is None:
            raise ValidationError(_("Price list not found."), code="no_price_list")
    if chosen.archived_at is not None:
        raise ValidationError(
            _("The price list “%(name)s” is archived.") % {"name": chosen.name},
            code="price_list_archived",
        )
    if not chosen.is_valid_on(on):
        raise ValidationError(
            _("The price list “%(name)s” is not valid on %(date)s.")
            % {"name": chosen.name, "date": on.isoformat()},
            code="price_list_not_valid",
        )
    product_id = product.pk if isinstance(product, Product) else product
    amount = (
        Price.objects.filter(price_list=chosen, product_id=product_id)
        .values_list("unit_price", flat=True)
        .first()
    )
    if amount is None:
        raise ValidationError(
            _("There is no price for this product on the list “%(name)s”.") % {"name": chosen.name},
            code="no_price",
        )
    return Money(amount, chosen.currency)


# --- exchange rates ------------------------------------------------------------------------------


def rate_on(currency: str, on: dt.date) -> Decimal:
    """Return how many units of `currency` one unit of the base currency bought on `on`.

    That is the latest rate dated on or before `on`; the base currency's rate is 1. Raises
    ValidationError (code `no_exchange_rate`) when no rate is that old.
    """
    code = Money.zero(currency).currency
    if code == base_currency():
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=code, date__lte=on)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            _("There is no exchange rate for %(currency)s on or before %(date)s.")
            % {"currency": code, "date": on.isoformat()},
            code="no_exchange_rate",
        )
    return rate


def convert(money: Money, to_currency: str, on: dt.date, *, rounded: bool = True) -> Money:
    """Return `money` in `to_currency` at the rates of `on` (the latest on or before it).

    Goes through the base currency: amount ÷ rate(from) × rate(to), computed with 34
    significant digits. Rounded half away from zero to the target's minor units unless
    `rounded` is false (for sums that round once at the end).
    """
    target = Money.zero(to_currency).currency
    if target == money.currency:
        return money.quantize() if rounded else money
    with decimal.localcontext(prec=_PRECISION):
        amount = money.amount / rate_on(money.currency, on) * rate_on(target, on)
    result = Money(amount, target)
    return result.quantize() if rounded else result


EXCHANGE_RATE_LIST = ListSpec(
    filters={
        "currency": Filter(_currency_filter, "ISO 4217 code"),
        "since": Filter(lambda v: Q(date__gte=_day(v, "since")), "YYYY-MM-DD: on or after"),
        "until": Filter(lambda v: Q(date__lte=_day(v, "until")), "YYYY-MM-DD: on or before"),
    },
    sorts=sorts(("date", ["date", "currency"]), ("currency", ["currency", "date"])),
    default_sort="-date",
    searchable=False,
)


def exchange_rate_list(*, viewer, params: dict[str, str]) -> Page:
    """Return one page of exchange rates, newest first."""
    return run_list(ExchangeRate.objects.visible_to(viewer), EXCHANGE_RATE_LIST, params=params)
