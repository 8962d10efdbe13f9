"""Write use cases of the catalogue: products, tax rates, price lists, prices, exchange rates.

Every function: keyword-only, takes the acting user, runs in one transaction (via `service`),
checks that the actor may change the catalogue (entity "product", level "all"), writes the audit
event, and raises ValidationError, PermissionDenied, NotFound, ConflictError or
PreconditionFailed. Nothing half-writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import audit_record, diff, service, snapshot
from kundenwert.core.errors import (
    ConflictError,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from kundenwert.core.money import Money
from kundenwert.core.records import check_not_archived, check_version
from kundenwert.org.policies import can

from .models import (
    ENTITY,
    PRICE_PLACES,
    RATE_PLACES,
    ExchangeRate,
    Price,
    PriceList,
    Product,
    TaxRate,
    base_currency,
    product_search_text,
)

PRODUCT_FIELDS = (
    "sku", "name_de", "name_en", "description_de", "description_en", "unit", "tax_rate",
    "cost_price", "cost_currency", "is_recurring", "billing_period",
)  # fmt: skip
TAX_RATE_FIELDS = ("name", "rate", "is_default")
PRICE_LIST_FIELDS = ("name", "currency", "valid_from", "valid_until", "is_default")

# A CSV of exchange rates: at most this many bytes and data rows, and this many lines reported.
CSV_MAX_BYTES = 2_000_000
CSV_MAX_ROWS = 100_000
CSV_MAX_REPORTED_LINES = 100

# Adapters name relations by their id; the models by the relation.
_RENAMES = {"tax_rate_id": "tax_rate"}
_ERROR_KEYS = {"tax_rate": "tax_rate_id"}


class ImportTooLarge(DomainError):
    """The uploaded file is larger than an import accepts."""

    code = "too_large"
    status = 413


# --- shared checks -------------------------------------------------------------------------------


def _deny(action: str, target_type: str, instance=None) -> PermissionDenied:
    detail = (
        _("You may not archive or restore catalogue records.")
        if action == "delete"
        else _("You may not change the catalogue.")
    )
    return PermissionDenied(
        detail,
        action=f"{ENTITY}.{action}",
        target_type=target_type,
        target_id=str(instance.pk) if instance is not None and instance.pk else "",
    )


def _require(actor, action: str, target_type: str, instance=None) -> None:
    """Refuse unless the actor's level for `action` on the catalogue is "all" (it has no owner)."""
    if not can(actor, ENTITY, action, owner_id=None):
        raise _deny(action, target_type, instance)


def _not_found(model) -> NotFound:
    messages = {
        Product: _("Product not found."),
        TaxRate: _("Tax rate not found."),
        PriceList: _("Price list not found."),
    }
    return NotFound(messages.get(model, _("Not found.")))


def _lock_visible(model, viewer, pk: int):
    """Lock and return a record the viewer may read; NotFound otherwise (no existence leak)."""
    instance = (
        model.objects.visible_to(viewer).select_for_update().filter(pk=pk).first()
        if _is_id(pk)
        else None
    )
    if instance is None:
        raise _not_found(model)
    return instance


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fields_of(data: dict, allowed: tuple[str, ...]) -> dict:
    """Rename adapter keys to model fields and refuse unknown ones."""
    if not isinstance(data, dict):
        raise ValidationError({"__all__": [_("Enter the fields as a mapping.")]})
    renamed = {_RENAMES.get(key, key): value for key, value in data.items()}
    unknown = set(renamed) - set(allowed)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    return renamed


def _validate(instance, data: dict, normalizers: dict) -> None:
    """Normalise `data` onto `instance` and validate it, collecting every error before raising.

    Like core.records.run_validators, but a field whose value could not be read is left out of
    the model's validation: one precise message per field ("No tax rate with this id."), not a
    second one about the empty value left behind ("This field cannot be null.").
    """
    errors: dict[str, list[str]] = {}
    failed: set[str] = set()
    for name, value in data.items():
        normalize = normalizers.get(name)
        try:
            value = normalize(value) if normalize else value
        except (TypeError, AttributeError, ValueError):
            errors.setdefault(_ERROR_KEYS.get(name, name), []).append(_("Enter a valid value."))
            failed.add(name)
            continue
        except ValidationError as exc:
            failed.add(name)
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key, []).extend(messages)
            else:
                errors.setdefault(_ERROR_KEYS.get(name, name), []).extend(exc.messages)
            continue
        setattr(instance, name, value)
    try:
        instance.full_clean(exclude=failed)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            target = errors.setdefault(_ERROR_KEYS.get(key, key), [])
            target.extend(m for m in messages if m not in target)
    if errors:
        raise ValidationError(errors)


def _save(instance) -> None:
    """Save; a constraint that a concurrent transaction won first is a ConflictError, not a 500.

    Validation already checked uniqueness, so only a writer committing in between (PostgreSQL
    under READ COMMITTED) gets here: the same SKU or day's rate saved twice at one moment.
    """
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ConflictError(
            _("Someone else saved a conflicting change at the same moment. Try again.")
        ) from exc


def _archive(model, *, actor, pk: int, restore: bool, before_archive=None):
    instance = _lock_visible(model, actor, pk)
    _require(actor, "delete", model._meta.model_name, instance)
    if (instance.archived_at is None) == (not restore):
        before = {"archived_at": instance.archived_at}
        if before_archive is not None and not restore:
            before.update(before_archive(instance))
        instance.archived_at = None if restore else timezone.now()
        instance.version += 1
        after = {k: getattr(instance, k) for k in before}
        instance.save()
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.RESTORE if restore else AuditEvent.Verb.ARCHIVE,
            target=instance,
            changes=diff(before, after),
        )
    return instance


# --- values --------------------------------------------------------------------------------------


def parse_decimal(value, *, places: int | None = None) -> Decimal:
    """Return `value` (a Decimal, an int or a numeric string) as an exact Decimal.

    Floats are refused: they cannot hold 0.10 exactly. With `places`, an exact value is given
    that many places ("19" → 19.00, "1.50000" → 1.5000), so equal values compare and audit
    equal; a value that would need rounding is left for the field to refuse.
    """
    if isinstance(value, bool | float):
        raise ValidationError(_("Enter the number as a decimal string, e.g. “12.50”."))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise TypeError("A decimal number is a Decimal, an int or a string.")
    if not number.is_finite():
        raise ValidationError(_("Enter a finite number."))
    if places is not None:
        try:
            rounded = number.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:  # too many digits for the context: let the field refuse it
            return number
        if rounded == number:
            number = rounded
    return number


def parse_currency(value) -> str:
    """Return the ISO 4217 code in upper case; ValidationError if it is not a known one."""
    return Money.zero(value).currency


def _text(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("text expected")
    return value.strip()


def _bool(value) -> bool:
    if not isinstance(value, bool):
        raise TypeError("true or false expected")
    return value


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        raise TypeError("a date, not a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."))
        return parsed
    raise TypeError("date expected")


def _optional_date(value) -> dt.date | None:
    return None if value is None else _date(value)


_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]*$")


def _sku(value) -> str:
    sku = _text(value)
    if sku and not _SKU.match(sku):
        raise ValidationError(
            _("Use letters, digits and . _ / - only, starting with a letter or digit.")
        )
    return sku


def _tax_rate(value) -> TaxRate:
    rate = TaxRate.objects.filter(pk=value).first() if _is_id(value) else None
    if rate is None:
        raise ValidationError({"tax_rate_id": [_("No tax rate with this id.")]})
    if rate.archived_at is not None:
        raise ValidationError({"tax_rate_id": [_("This tax rate is archived.")]})
    return rate


def _decimal(places: int):
    return lambda value: parse_decimal(value, places=places)


def _optional_decimal(places: int):
    return lambda value: None if value is None else parse_decimal(value, places=places)


# --- products ------------------------------------------------------------------------------------

PRODUCT_NORMALIZERS = {
    "sku": _sku,
    "name_de": _text,
    "name_en": _text,
    "description_de": _text,
    "description_en": _text,
    "unit": _text,
    "tax_rate": _tax_rate,
    "cost_price": _optional_decimal(PRICE_PLACES),
    "cost_currency": lambda value: base_currency() if value is None else parse_currency(value),
    "is_recurring": _bool,
    # null (allowed by PATCH) clears the period; the column is NOT NULL.
    "billing_period": lambda value: _text(value),
}


def _product_apply(product: Product, data: dict) -> None:
    if data.get("is_recurring") is False and "billing_period" not in data:
        # Turning a subscription into a one-off product drops its period without being asked.
        data = {**data, "billing_period": ""}
    if product.pk is None and data.get("tax_rate", 0) is None:
        data = {k: v for k, v in data.items() if k != "tax_rate"}  # null: the default rate
    if product.tax_rate_id is None and "tax_rate" not in data:
        default = TaxRate.objects.filter(is_default=True, archived_at__isnull=True).first()
        if default is None:
            raise ValidationError({"tax_rate_id": [_("Choose a tax rate: none is the default.")]})
        product.tax_rate = default
    _validate(product, data, PRODUCT_NORMALIZERS)
    product.search_text = product_search_text(
        sku=product.sku, name_de=product.name_de, name_en=product.name_en
    )


@service
def product_create(*, actor, data: dict) -> Product:
    """Create a product; without `tax_rate_id` it gets the default tax rate."""
    _require(actor, "edit", "product")
    data = _fields_of(data, PRODUCT_FIELDS)
    product = Product()
    _product_apply(product, data)
    _save(product)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=product,
        changes=diff({}, snapshot(product, PRODUCT_FIELDS)),
    )
    return product


@service
def product_update(
    *, actor, product_id: int, data: dict, expected_version: int | None = None
) -> Product:
    """Change the given fields; refuse a stale version with PreconditionFailed."""
    data = _fields_of(data, PRODUCT_FIELDS)
    product = _lock_visible(Product, actor, product_id)
    _require(actor, "edit", "product", product)
    check_version(product, expected_version)
    check_not_archived(product)
    before = snapshot(product, PRODUCT_FIELDS)
    _product_apply(product, data)
    changes = diff(before, snapshot(product, PRODUCT_FIELDS))
    if changes:
        product.version += 1
        _save(product)
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=product, changes=changes)
    return product


@service
def product_archive(*, actor, product_id: int) -> Product:
    """Archive the product: it stays on documents and price lists but cannot be quoted."""
    return _archive(Product, actor=actor, pk=product_id, restore=False)


@service
def product_restore(*, actor, product_id: int) -> Product:
    return _archive(Product, actor=actor, pk=product_id, restore=True)


# --- tax rates -----------------------------------------------------------------------------------

TAX_RATE_NORMALIZERS = {
    "name": _text,
    "rate": _decimal(2),
    "is_default": _bool,
}


def _demote_other_defaults(actor, model, instance, **same) -> None:
    """Make `instance` the only default (of its currency, for price lists), auditing the others."""
    others = model.objects.select_for_update().filter(is_default=True, **same)
    for other in others.exclude(pk=instance.pk):
        other.is_default = False
        other.version += 1
        other.save(update_fields=["is_default", "version", "updated_at"])
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.UPDATE,
            target=other,
            changes={"is_default": [True, False]},
        )


def _tax_rate_apply(actor, rate: TaxRate, data: dict) -> None:
    if rate.is_default and data.get("is_default", True) is not True:
        raise ValidationError(
            {"is_default": [_("Make another tax rate the default instead: one must be.")]}
        )
    if data.get("is_default") is True:
        # First, so that the one-default constraint holds when the rate is validated.
        _demote_other_defaults(actor, TaxRate, rate)
    _validate(rate, data, TAX_RATE_NORMALIZERS)


@service
def tax_rate_create(*, actor, data: dict) -> TaxRate:
    """Add a tax rate; with `is_default` it replaces the current default."""
    _require(actor, "edit", "taxrate")
    data = _fields_of(data, TAX_RATE_FIELDS)
    rate = TaxRate()
    _tax_rate_apply(actor, rate, data)
    _save(rate)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=rate,
        changes=diff({}, snapshot(rate, TAX_RATE_FIELDS)),
    )
    return rate


@service
def tax_rate_update(
    *, actor, tax_rate_id: int, data: dict, expected_version: int | None = None
) -> TaxRate:
    """Rename a rate, change its percentage or make it the default.

    Documents already issued keep the percentage they were issued with.
    """
    data = _fields_of(data, TAX_RATE_FIELDS)
    rate = _lock_visible(TaxRate, actor, tax_rate_id)
    _require(actor, "edit", "taxrate", rate)
    check_version(rate, expected_version)
    check_not_archived(rate)
    before = snapshot(rate, TAX_RATE_FIELDS)
    _tax_rate_apply(actor, rate, data)
    changes = diff(before, snapshot(rate, TAX_RATE_FIELDS))
    if changes:
        rate.version += 1
        _save(rate)
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=rate, changes=changes)
    return rate


def _refuse_default_tax_rate(rate: TaxRate) -> dict:
    if rate.is_default:
        raise ConflictError(
            _("The default tax rate cannot be archived. Make another rate the default first."),
            code="default_tax_rate",
        )
    return {}


@service
def tax_rate_archive(*, actor, tax_rate_id: int) -> TaxRate:
    """Archive a rate: products keep it, but it cannot be chosen for a product any more."""
    return _archive(
        TaxRate,
        actor=actor,
        pk=tax_rate_id,
        restore=False,
        before_archive=_refuse_default_tax_rate,
    )


@service
def tax_rate_restore(*, actor, tax_rate_id: int) -> TaxRate:
    return _archive(TaxRate, actor=actor, pk=tax_rate_id, restore=True)


# --- price lists ---------------------------------------------------------------------------------

PRICE_LIST_NORMALIZERS = {
    "name": _text,
    "currency": parse_currency,
    "valid_from": _date,
    "valid_until": _optional_date,
    "is_default": _bool,
}


def _price_list_apply(actor, price_list: PriceList, data: dict) -> None:
    old_currency = price_list.currency if price_list.pk else None
    if data.get("is_default", price_list.is_default) is True:
        # First, so that the one-default-per-currency constraint holds during validation.
        try:
            currency = parse_currency(data.get("currency", price_list.currency))
        except (ValidationError, TypeError):
            currency = None  # reported by the validation below
        if currency:
            _demote_other_defaults(actor, PriceList, price_list, currency=currency)
    _validate(price_list, data, PRICE_LIST_NORMALIZERS)
    if (
        old_currency is not None
        and price_list.currency != old_currency
        and price_list.prices.exists()
    ):
        raise ValidationError(
            {"currency": [_("The currency cannot change once the list has prices.")]}
        )


@service
def price_list_create(*, actor, data: dict) -> PriceList:
    """Create a price list; valid from today unless `valid_from` says otherwise."""
    _require(actor, "edit", "pricelist")
    data = _fields_of(data, PRICE_LIST_FIELDS)
    price_list = PriceList(valid_from=timezone.localdate())
    _price_list_apply(actor, price_list, data)
    _save(price_list)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=price_list,
        changes=diff({}, snapshot(price_list, PRICE_LIST_FIELDS)),
    )
    return price_list


@service
def price_list_update(
    *, actor, price_list_id: int, data: dict, expected_version: int | None = None
) -> PriceList:
    """Change the given fields; the currency only while the list has no prices."""
    data = _fields_of(data, PRICE_LIST_FIELDS)
    price_list = _lock_visible(PriceList, actor, price_list_id)
    _require(actor, "edit", "pricelist", price_list)
    check_version(price_list, expected_version)
    check_not_archived(price_list)
    before = snapshot(price_list, PRICE_LIST_FIELDS)
    _price_list_apply(actor, price_list, data)
    changes = diff(before, snapshot(price_list, PRICE_LIST_FIELDS))
    if changes:
        price_list.version += 1
        _save(price_list)
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=price_list, changes=changes)
    return price_list


def _drop_default(price_list: PriceList) -> dict:
    # An archived list cannot price a quote, so it stops being its currency's default.
    if price_list.is_default:
        price_list.is_default = False
        return {"is_default": True}
    return {}


@service
def price_list_archive(*, actor, price_list_id: int) -> PriceList:
    """Archive the list; if it was its currency's default, that currency has none now."""
    return _archive(
        PriceList, actor=actor, pk=price_list_id, restore=False, before_archive=_drop_default
    )


@service
def price_list_restore(*, actor, price_list_id: int) -> PriceList:
    return _archive(PriceList, actor=actor, pk=price_list_id, restore=True)


# --- prices --------------------------------------------------------------------------------------


def _price_target(actor, price_list_id: int, product_id) -> tuple[PriceList, Product]:
    price_list = _lock_visible(PriceList, actor, price_list_id)
    _require(actor, "edit", "pricelist", price_list)
    check_not_archived(price_list)
    product = (
        Product.objects.visible_to(actor).filter(pk=product_id).first()
        if _is_id(product_id)
        else None
    )
    if product is None:
        raise ValidationError({"product_id": [_("No product with this id.")]})
    return price_list, product


def _price_key(product: Product) -> str:
    return f"price {product.sku}"


@service
def price_set(
    *, actor, price_list_id: int, product_id: int, unit_price: Decimal | int | str
) -> tuple[Price, bool]:
    """Give a product its net unit price on a list, in the list's currency.

    Returns the price and whether it was new. Raises ValidationError for a negative or
    malformed price or an archived product, ConflictError for an archived list.
    """
    price_list, product = _price_target(actor, price_list_id, product_id)
    if product.archived_at is not None:
        raise ValidationError({"product_id": [_("This product is archived.")]})
    price = Price.objects.select_for_update().filter(price_list=price_list, product=product).first()
    created = price is None
    if created:
        price = Price(price_list=price_list, product=product)
    before = None if created else price.unit_price
    _validate(price, {"unit_price": unit_price}, {"unit_price": _decimal(PRICE_PLACES)})
    if created or price.unit_price != before:
        if not created:
            price.version += 1
        _save(price)
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.UPDATE,
            target=price_list,
            changes=diff({_price_key(product): before}, {_price_key(product): price.unit_price}),
        )
    return price, created


@service
def price_remove(*, actor, price_list_id: int, product_id: int) -> None:
    """Take a product off a price list (its quotes keep the price they were made with)."""
    price_list, product = _price_target(actor, price_list_id, product_id)
    price = Price.objects.select_for_update().filter(price_list=price_list, product=product).first()
    if price is None:
        raise NotFound(_("This product has no price on this list."))
    before = price.unit_price
    price.delete()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=price_list,
        changes=diff({_price_key(product): before}, {_price_key(product): None}),
    )


# --- exchange rates ------------------------------------------------------------------------------


def _rate_currency(value) -> str:
    code = parse_currency(value)
    if code == base_currency():
        raise ValidationError(
            _("%(currency)s is the base currency: its rate is always 1.") % {"currency": code}
        )
    return code


EXCHANGE_RATE_NORMALIZERS = {
    "currency": _rate_currency,
    "date": _date,
    "rate": _decimal(RATE_PLACES),
}


@service
def exchange_rate_set(
    *, actor, currency: str, date: dt.date | str, rate: Decimal | int | str
) -> tuple[ExchangeRate, bool]:
    """Record how many units of `currency` one unit of the base currency bought on `date`.

    Replaces the rate of that day if there is one. Returns the rate and whether it was new.
    """
    _require(actor, "edit", "exchangerate")
    try:
        key = (_rate_currency(currency), _date(date))
    except (ValidationError, TypeError, ValueError):
        key = None  # reported with the other errors below
    existing = (
        ExchangeRate.objects.select_for_update().filter(currency=key[0], date=key[1]).first()
        if key
        else None
    )
    instance = existing or ExchangeRate()
    before = instance.rate
    _validate(
        instance,
        {"currency": currency, "date": date, "rate": rate},
        EXCHANGE_RATE_NORMALIZERS,
    )
    if existing is None:
        _save(instance)
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.CREATE,
            target=instance,
            changes=diff({}, snapshot(instance, ("currency", "date", "rate"))),
        )
        return instance, True
    if instance.rate != before:
        instance.save(update_fields=["rate", "updated_at"])
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.UPDATE,
            target=instance,
            changes=diff({"rate": before}, {"rate": instance.rate}),
        )
    return instance, False


@dataclass(frozen=True)
class ImportCounts:
    """What an import did: rates added, rates changed, and rows equal to what was stored."""

    created: int
    updated: int
    unchanged: int


_PLAIN_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_GERMAN_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_ENGLISH_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _csv_rate(text: str) -> Decimal:
    """Read a rate written as people write numbers: 1.0823, 1,0823, 17.234,5 or 17,234.5.

    A single separator is the decimal sign, whichever it is; grouped thousands are accepted
    when the grouping is unambiguous (both signs, or several groups).
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if _PLAIN_NUMBER.match(value):
        value = value.replace(",", ".")
    elif _GERMAN_GROUPED.match(value) and ("," in value or value.count(".") > 1):
        value = value.replace(".", "").replace(",", ".")
    elif _ENGLISH_GROUPED.match(value) and ("." in value or value.count(",") > 1):
        value = value.replace(",", "")
    else:
        raise ValueError(text)
    return Decimal(value)


def _csv_date(text: str) -> dt.date:
    value = text.strip()
    german = _GERMAN_DATE.match(value)
    if german:
        day, month, year = (int(g) for g in german.groups())
        return dt.date(year, month, day)
    parsed = parse_date(value) if re.match(r"^\d{4}-\d{2}-\d{2}$", value) else None
    if parsed is None:
        raise ValueError(text)
    return parsed


def _csv_text(file, text) -> str:
    if (file is None) == (text is None):
        raise TypeError("Give either file or text.")
    if text is not None:
        if len(text) > CSV_MAX_BYTES or len(text.encode("utf-8")) > CSV_MAX_BYTES:
            raise ImportTooLarge(_too_large())
        return text.removeprefix("\ufeff")
    raw = file.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        raise ImportTooLarge(_too_large())
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets in Germany save CSV in Windows-1252 unless told otherwise.
        return raw.decode("cp1252", errors="replace")


def _too_large() -> str:
    return _("The file is larger than %(size)d MB.") % {"size": CSV_MAX_BYTES // 1_000_000}


@dataclass(frozen=True)
class _Row:
    line: int
    currency: str
    date: dt.date
    rate: Decimal


def _csv_header(cells: list[str]) -> dict[str, int] | None:
    names = [c.strip().lower() for c in cells]
    if sorted(names) != ["currency", "date", "rate"]:
        return None
    return {name: names.index(name) for name in names}


def _csv_row(cells: list[str], columns: dict[str, int], line: int, base: str) -> _Row:
    """Parse one data row; raise ValidationError with all of its messages."""
    messages: list[str] = []
    if len(cells) != 3:
        message = _("Expected 3 values, found %(count)d.") % {"count": len(cells)}
        if len(cells) == 4:
            message += " " + _("A decimal comma needs ; as the separator, or the number in quotes.")
        raise ValidationError([message])
    code_text = cells[columns["currency"]].strip().upper()
    code = ""
    try:
        code = parse_currency(code_text)
    except (ValidationError, TypeError):
        messages.append(_("“%(value)s” is not a known currency code.") % {"value": code_text[:10]})
    if code and code == base:
        messages.append(
            _("%(currency)s is the base currency: its rate is always 1.") % {"currency": code}
        )
    day = None
    try:
        day = _csv_date(cells[columns["date"]])
    except ValueError:
        messages.append(
            _("“%(value)s” is not a date (write 2026-01-31 or 31.01.2026).")
            % {"value": cells[columns["date"]].strip()[:20]}
        )
    rate = None
    rate_text = cells[columns["rate"]].strip()
    try:
        rate = _csv_rate(rate_text)
    except (ValueError, InvalidOperation):
        messages.append(_("“%(value)s” is not a positive number.") % {"value": rate_text[:20]})
    if rate is not None:
        rate = parse_decimal(rate, places=RATE_PLACES)
        digits = rate.as_tuple()
        if rate <= 0:
            messages.append(_("Enter a rate greater than zero."))
        elif -digits.exponent > RATE_PLACES:
            messages.append(
                _("Give the rate with at most %(places)d decimal places.") % {"places": RATE_PLACES}
            )
        elif rate >= Decimal(10) ** (20 - RATE_PLACES):
            messages.append(_("The rate is too large."))
    if messages:
        raise ValidationError(messages)
    return _Row(line, code, day, rate)


def _parse_rates_csv(text: str) -> list[_Row]:
    """Validate every line of the file; raise one ValidationError naming each bad line."""
    sample = next((line for line in text.splitlines() if line.strip()), "")
    if not sample:
        raise ValidationError({"file": [_("The file is empty.")]})
    delimiter = ";" if ";" in sample else "\t" if "\t" in sample else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: dict[str, list[str]] = {}
    bad_lines = 0
    rows: list[_Row] = []
    seen: dict[tuple[str, dt.date], int] = {}
    columns = None
    base = base_currency()
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if columns is None:
                columns = _csv_header(cells)
                if columns is None:
                    raise ValidationError(
                        {
                            f"line {line}": [
                                _("The first line must name the columns: currency, date, rate.")
                            ]
                        }
                    )
                continue
            if len(rows) + bad_lines >= CSV_MAX_ROWS:
                errors["file"] = [
                    _("The file has more than %(count)d rates.") % {"count": CSV_MAX_ROWS}
                ]
                break
            try:
                row = _csv_row(cells, columns, line, base)
            except ValidationError as exc:
                bad_lines += 1
                if bad_lines <= CSV_MAX_REPORTED_LINES:
                    errors[f"line {line}"] = exc.messages
                continue
            first = seen.setdefault((row.currency, row.date), line)
            if first != line:
                bad_lines += 1
                if bad_lines <= CSV_MAX_REPORTED_LINES:
                    errors[f"line {line}"] = [
                        _("%(currency)s on %(date)s already appears on line %(line)d.")
                        % {"currency": row.currency, "date": row.date.isoformat(), "line": first}
                    ]
                continue
            rows.append(row)
    except csv.Error as exc:
        errors[f"line {reader.line_num}"] = [
            _("The line cannot be read as CSV: %(reason)s") % {"reason": str(exc)[:100]}
        ]
    if bad_lines > CSV_MAX_REPORTED_LINES:
        hidden = bad_lines - CSV_MAX_REPORTED_LINES
        errors.setdefault("file", []).append(
            ngettext("%(count)d more line has errors.", "%(count)d more lines have errors.", hidden)
            % {"count": hidden}
        )
    if not errors and not rows:
        errors["file"] = [_("The file has no rates.")]
    if errors:
        raise ValidationError(errors)
    return rows


@service
def exchange_rates_import_csv(*, actor, file=None, text: str | None = None) -> ImportCounts:
    """Import exchange rates from CSV (columns currency, date, rate), all or nothing.

    Accepts `,` or `;` as separator, a decimal comma (`1,0823`) and dates as 2026-01-31 or
    31.01.2026. Every line is checked before anything is written; any bad line (or a day given
    twice) refuses the whole file with a ValidationError keyed `line N`. Rates of days already
    stored are replaced. Raises ImportTooLarge over CSV_MAX_BYTES.
    """
    _require(actor, "edit", "exchangerate")
    rows = _parse_rates_csv(_csv_text(file, text))
    currencies = sorted({r.currency for r in rows})
    first_day, last_day = min(r.date for r in rows), max(r.date for r in rows)
    stored = {
        (currency, day): rate
        for currency, day, rate in ExchangeRate.objects.filter(
            currency__in=currencies, date__gte=first_day, date__lte=last_day
        ).values_list("currency", "date", "rate")
    }
    created, changed, writes = 0, {}, []
    for row in rows:
        old = stored.get((row.currency, row.date))
        if old is not None and old == row.rate:
            continue
        if old is None:
            created += 1
        else:
            changed[(row.currency, row.date)] = (old, row.rate)
        writes.append(ExchangeRate(currency=row.currency, date=row.date, rate=row.rate))
    if writes:
        # An upsert: a rate another import added meanwhile is replaced, not a unique violation.
        ExchangeRate.objects.bulk_create(
            writes,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["currency", "date"],
            update_fields=["rate", "updated_at"],
        )
    counts = ImportCounts(created=created, updated=len(changed), unchanged=len(rows) - len(writes))
    if writes:
        changes = {"import": [None, {"created": counts.created, "updated": counts.updated}]}
        for (currency, day), (old, new) in sorted(changed.items())[:1000]:
            changes[f"{currency} {day.isoformat()}"] = [str(old), str(new)]
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.UPDATE,
            target_type="exchangerate",
            target_repr=_("CSV import of exchange rates"),
            changes=changes,
        )
    return counts
