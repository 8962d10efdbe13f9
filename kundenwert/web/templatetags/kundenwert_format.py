"""Money and numbers written for the active language: `{{ price|money }}`, `{{ n|number }}`.

Dates need nothing of ours: Django's `date` filter and `{{ value }}` already follow the active
language (`27.11.2026` in German).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from kundenwert.core.money import Money, format_decimal, format_money

register = template.Library()


def _decimal(value: object) -> Decimal | int | float:
    """Accept what templates carry: numbers, and numeric text (from a form or JSON)."""
    if isinstance(value, Decimal | int | float):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a number.") from exc


@register.filter
def money(value: object, currency: str | None = None) -> str:
    """Write an amount in the active language: `{{ price|money }}`, `{{ total|money:"EUR" }}`.

    Rounds commercially to the currency's minor units. An empty value gives an empty string.
    A bare amount needs its currency; a float or an unknown currency is an error, as for Money,
    so a wrong price is never shown quietly.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        if currency and Money.zero(currency).currency != value.currency:
            # Showing a EUR price as USD would need an exchange rate, not a filter.
            raise ValueError(f"{value} cannot be shown as {currency}.")
        return format_money(value.amount, value.currency)
    if not currency:
        raise ValueError("The money filter needs a currency for a bare amount.")
    return format_money(_decimal(value), currency)  # type: ignore[arg-type]  # refuses floats


@register.filter
def number(value: object, places: int | str | None = None) -> str:
    """Write a number with the language's grouping: `{{ n|number }}` → `1.234,5` in German.

    `{{ n|number:2 }}` rounds half away from zero to two places. An empty value gives "".
    """
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        value = value.amount
    return format_decimal(_decimal(value), places=None if places in (None, "") else int(places))
