"""Compute the totals of a commercial document (quote, order, invoice) from its lines.

Pure functions on `Decimal`, no Django models, so quotes, orders, invoices and credit notes all
add up the same way.

The rounding rule (German commercial practice, as in EN 16931 / XRechnung, BR-CO-10..17, and
§ 14 Abs. 4 Nr. 8 UStG, which asks for the tax amount per tax rate):

1. Each line's net amount = quantity × unit price × (1 − discount % / 100), rounded half away
   from zero ("kaufmännisch") to the currency's minor units, once, on the line.
2. Lines are grouped by tax rate; each group's net sum is the sum of its rounded line nets.
3. The tax of a group is computed on that net sum and rounded once per rate (never per line,
   which would let the rounding errors of many lines add up).
4. Net total = sum of the group nets (= sum of the line nets); tax total = sum of the group
   taxes; gross total = net total + tax total. All three are exact sums of rounded amounts, so
   they agree to the cent by construction.

Every amount in the result has exactly the currency's minor units (EUR 2, JPY 0, BHD 3).
A credit note uses the same computation on positive lines and `Totals.negated()`: rounding half
away from zero is symmetric, so negating after rounding equals rounding the negative amounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kundenwert.core.money import minor_units

__all__ = ["Line", "LineTotal", "TaxGroup", "Totals", "compute", "round_amount"]

_HUNDRED = Decimal(100)
# Working precision: 18-digit prices × quantities × discounts stay exact until rounded.
_PRECISION = 60


def round_amount(amount: Decimal, places: int) -> Decimal:
    """Round half away from zero to `places` decimal places; never return a negative zero."""
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _exact(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(
            f"{name} must be a Decimal or an int, not {type(value).__name__}"
            " (money and quantities are never floats)."
        )
    number = Decimal(value)
    if not number.is_finite():
        raise ValidationError({name: _("Enter a finite number.")}, code="invalid")
    return number


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One line of a document: so many units at a unit price, less a discount, taxed at a rate.

    `tax_rate` and `discount_percent` are percentages (19 means 19 %). Raises TypeError for a
    float (or any other non-Decimal, non-int), ValidationError (keyed by the field) for a
    quantity ≤ 0, a negative unit price, a discount outside 0–100 or a tax rate outside 0–100.
    """

    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_percent: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        quantity = _exact(self.quantity, "quantity")
        unit_price = _exact(self.unit_price, "unit_price")
        tax_rate = _exact(self.tax_rate, "tax_rate")
        discount = _exact(self.discount_percent, "discount_percent")
        errors: dict[str, str] = {}
        if quantity <= 0:
            errors["quantity"] = _("Enter a quantity greater than zero.")
        if unit_price < 0:
            errors["unit_price"] = _("Enter a unit price of zero or more.")
        if not 0 <= discount <= _HUNDRED:
            errors["discount_percent"] = _("Enter a discount between 0 and 100 %.")
        if not 0 <= tax_rate <= _HUNDRED:
            errors["tax_rate"] = _("Enter a tax rate between 0 and 100 %.")
        if errors:
            raise ValidationError(errors)
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "unit_price", unit_price)
        object.__setattr__(self, "tax_rate", tax_rate)
        object.__setattr__(self, "discount_percent", discount)

    def net(self, places: int) -> Decimal:
        """Return the line's net amount rounded half up to `places` (see the module docstring)."""
        gross_of_discount = self.quantity * self.unit_price
        return round_amount(
            gross_of_discount * (_HUNDRED - self.discount_percent) / _HUNDRED, places
        )


@dataclass(frozen=True, slots=True)
class LineTotal:
    """The rounded net amount of one line, at its tax rate."""

    net: Decimal
    tax_rate: Decimal


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """The lines of one tax rate: their net sum and the tax on it (rounded once)."""

    tax_rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass(frozen=True, slots=True)
class Totals:
    """The computed amounts of a document, each with exactly the currency's minor units.

    `lines` follows the order of the input lines; `taxes` is sorted by descending tax rate
    (19 %, 7 %, 0 %), the order a German invoice lists them in.
    """

    currency: str
    lines: tuple[LineTotal, ...]
    taxes: tuple[TaxGroup, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "gross", self.net + self.tax)

    def negated(self) -> Totals:
        """Return the same totals with every amount's sign flipped (a credit note)."""
        return Totals(
            currency=self.currency,
            lines=tuple(
                LineTotal(net=_neg(line.net), tax_rate=line.tax_rate) for line in self.lines
            ),
            taxes=tuple(
                TaxGroup(tax_rate=group.tax_rate, net=_neg(group.net), tax=_neg(group.tax))
                for group in self.taxes
            ),
            net=_neg(self.net),
            tax=_neg(self.tax),
        )


def _neg(amount: Decimal) -> Decimal:
    return amount if amount.is_zero() else -amount


def compute(lines: Iterable[Line], currency: str) -> Totals:
    """Return the totals of `lines` in `currency` by the rule of the module docstring.

    No lines give zero totals. Raises ValidationError for an unknown currency and TypeError for
    anything but `Line` objects.
    """
    places = minor_units(currency)
    zero = round_amount(Decimal(0), places)
    line_totals: list[LineTotal] = []
    net_by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        if not isinstance(line, Line):
            raise TypeError(f"compute() takes Line objects, not {type(line).__name__}.")
        net = line.net(places)
        # Normalise the key so 19, 19.0 and 19.00 are one rate.
        rate = line.tax_rate.normalize() + 0
        line_totals.append(LineTotal(net=net, tax_rate=line.tax_rate))
        net_by_rate[rate] = net_by_rate.get(rate, zero) + net
    with localcontext(prec=_PRECISION):
        groups = tuple(
            TaxGroup(
                tax_rate=rate,
                net=round_amount(net_sum, places),
                tax=round_amount(net_sum * rate / _HUNDRED, places),
            )
            for rate, net_sum in sorted(net_by_rate.items(), key=lambda item: item[0], reverse=True)
        )
    net_total = round_amount(sum((group.net for group in groups), zero), places)
    tax_total = round_amount(sum((group.tax for group in groups), zero), places)
    return Totals(
        currency=currency.strip().upper(),
        lines=tuple(line_totals),
        taxes=groups,
        net=net_total,
        tax=tax_total,
    )
