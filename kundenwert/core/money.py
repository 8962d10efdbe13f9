"""Money: an exact amount in one ISO 4217 currency, and its display in the user's locale.

Amounts are `Decimal`, never `float` (0.1 + 0.2 != 0.3 in binary floating point). A `Money`
keeps its amount exactly as given (a unit price may carry more places than the currency's minor
unit); `quantize()` rounds it commercially (half away from zero) to the currency's minor units
when an amount is final: a line total, a tax amount, an invoice total.

Display goes through babel (CLDR data) in the active Django language. A bare language is given a
region: German → de_DE (`1.234,56 €`), English → en_US (`€1,234.56`). en_US because Django's own
English formats, which render the dates on the same pages, are American (`11/27/2026`,
`Nov. 27, 2026`): one page should not mix two Englishes. A language with a region (`de-at`,
`en-gb`) keeps its own.
"""

from __future__ import annotations

import copy
import functools
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel import numbers as babel_numbers
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kundenwert.core.errors import DomainError, ValidationError

__all__ = [
    "DEFAULT_CURRENCY",
    "CurrencyMismatchError",
    "Money",
    "babel_locale",
    "format_decimal",
    "format_money",
    "minor_units",
]

# The currency a new price or quote starts in; a Money itself never assumes one.
DEFAULT_CURRENCY = "EUR"
# The region a bare language is formatted for (see the module docstring).
_REGION_FOR_LANGUAGE = {"de": "de_DE", "en": "en_US"}
_FALLBACK_LOCALE = "en_US"
_NO_BREAK_SPACE = "\u00a0"


class CurrencyMismatchError(DomainError):
    """Two amounts in different currencies were combined; that needs an exchange rate."""

    code = "currency_mismatch"


@functools.cache
def _known_currencies() -> frozenset[str]:
    return frozenset(babel_numbers.list_currencies())


def _currency_code(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"A currency is an ISO 4217 code (str), not {type(value).__name__}.")
    code = value.strip().upper()
    if code not in _known_currencies():
        raise ValidationError(
            _("“%(currency)s” is not a known ISO 4217 currency code.") % {"currency": value[:10]},
            code="invalid_currency",
        )
    return code


def _exact_decimal(value: object) -> Decimal:
    """Return `value` as a Decimal; only Decimal and int are exact enough to be money."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(
            f"A money amount is a Decimal or an int, not {type(value).__name__}"
            " (write Decimal('0.10'), never 0.1)."
        )
    number = Decimal(value)
    if not number.is_finite():
        raise ValidationError(_("Enter a finite amount."), code="invalid_amount")
    return number


def minor_units(currency: str) -> int:
    """Return how many decimal places the currency's amounts have (EUR 2, JPY 0, BHD 3)."""
    return babel_numbers.get_currency_precision(_currency_code(currency))


def _round_half_up(number: Decimal, places: int) -> Decimal:
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    # -0.001 rounds to -0.00; nobody wants to read "-0,00 €".
    return rounded.copy_abs() if rounded.is_zero() else rounded


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money in one currency, e.g. a price, a quote total or an invoice balance.

    Raises TypeError for an amount that is no Decimal or int (floats are refused), and
    ValidationError for an unknown currency or a non-finite amount. Arithmetic and ordering
    between different currencies raise CurrencyMismatchError.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _exact_decimal(self.amount))
        object.__setattr__(self, "currency", _currency_code(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing of `currency`: the start value of a sum."""
        return cls(Decimal(0), currency)

    def quantize(self) -> Money:
        """Return the amount rounded half away from zero to the currency's minor units."""
        return Money(_round_half_up(self.amount, minor_units(self.currency)), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                _("Amounts in %(left)s and %(right)s cannot be combined without a rate.")
                % {"left": self.currency, "right": other.currency}
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float):
            raise TypeError("Multiply money by a Decimal or an int, never by a float.")
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        """Return the plain, locale-free form for logs and exports: `1234.56 EUR`."""
        return f"{self.amount} {self.currency}"


@functools.cache
def _locale_for(language: str) -> str:
    code = translation.to_locale(language)
    code = _REGION_FOR_LANGUAGE.get(code, code)
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        default = translation.to_locale(settings.LANGUAGE_CODE)
        return _REGION_FOR_LANGUAGE.get(default, _FALLBACK_LOCALE)
    return code


def babel_locale(language: str | None = None) -> str:
    """Return the babel locale for `language` (default: the active Django language)."""
    return _locale_for(language or translation.get_language() or settings.LANGUAGE_CODE)


def _is_letter_like(char: str) -> bool:
    return unicodedata.category(char)[0] not in "SZ"


def _space_currency(text: str, symbol: str) -> str:
    """Apply CLDR's currency spacing, which babel leaves out: `CHF1,234.56` → `CHF 1,234.56`.

    A symbol that ends (or starts) with a letter gets a no-break space next to the digits; a
    sign such as € or $ stays attached.
    """
    start = text.find(symbol)
    if not symbol or start < 0:
        return text
    end = start + len(symbol)
    if end < len(text) and text[end].isdigit() and _is_letter_like(symbol[-1]):
        text = text[:end] + _NO_BREAK_SPACE + text[end:]
    if start > 0 and text[start - 1].isdigit() and _is_letter_like(symbol[0]):
        text = text[:start] + _NO_BREAK_SPACE + text[start:]
    return text


def format_money(amount: Decimal | int, currency: str, locale: str | None = None) -> str:
    """Return the amount rounded commercially and written for the locale: `1.234,56 €`.

    `locale` is a babel locale (`de_DE`); by default the active Django language's. Raises as
    `Money` does for a float amount or an unknown currency.
    """
    money = Money(amount, currency).quantize()
    code = locale or babel_locale()
    text = babel_numbers.format_currency(money.amount, money.currency, locale=code)
    return _space_currency(text, babel_numbers.get_currency_symbol(money.currency, locale=code))


def format_decimal(
    value: Decimal | int | float, locale: str | None = None, *, places: int | None = None
) -> str:
    """Return a number with the locale's grouping and decimal sign: `1.234,5` in German.

    Shows the places the value has (a Decimal's trailing zeros included); with `places`, rounds
    half away from zero to exactly that many. A float (display only) is read by its shortest
    repr, so 0.1 shows as 0,1.
    """
    if isinstance(value, bool):
        raise TypeError("A bool is not a number to show.")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return str(number)
    if places is not None:
        number = _round_half_up(number, places)
    elif number.is_zero():
        number = number.copy_abs()
    digits = max(-int(number.as_tuple().exponent), 0)
    code = locale or babel_locale()
    # The locale's own pattern (its grouping), showing exactly the places the number has.
    pattern = copy.copy(Locale.parse(code).decimal_formats[None])
    pattern.frac_prec = (digits, digits)
    return babel_numbers.format_decimal(number, format=pattern, locale=code)
