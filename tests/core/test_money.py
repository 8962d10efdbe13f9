"""Money: exact amounts, one currency at a time, commercial rounding to the minor unit."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from functools import reduce
from operator import add, ge, gt, le, lt, sub

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kundenwert.core.errors import DomainError, ValidationError
from kundenwert.core.money import CurrencyMismatchError, Money, minor_units

PROPERTY = settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def eur(text: str) -> Money:
    return Money(Decimal(text), "EUR")


# --- construction ----------------------------------------------------------------------------


def test_an_int_amount_becomes_a_decimal_and_the_code_is_normalised():
    price = Money(12, " eur ")
    assert price.amount == Decimal(12)
    assert type(price.amount) is Decimal
    assert price.currency == "EUR"
    assert str(eur("1234.560")) == "1234.560 EUR"  # the exact amount, as given


@pytest.mark.parametrize("amount", [0.1, 1.0, True, "1.00", None])
def test_anything_but_decimal_or_int_is_refused_as_an_amount(amount):
    with pytest.raises(TypeError):
        Money(amount, "EUR")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_non_finite_amount_is_refused(amount):
    with pytest.raises(ValidationError) as caught:
        Money(amount, "EUR")
    assert caught.value.code == "invalid_amount"


@pytest.mark.parametrize("code", ["EUX", "€", "", "EURO", "XYZ"])
def test_an_unknown_currency_is_refused(code):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        Money(Decimal(1), code)
    assert caught.value.code == "invalid_currency"
    assert caught.value.messages[0] == f"“{code}” is not a known ISO 4217 currency code."
    with translation.override("de"), pytest.raises(ValidationError) as caught:
        Money(Decimal(1), code)
    assert caught.value.messages[0] == f"„{code}“ ist kein bekannter ISO-4217-Währungscode."


def test_a_currency_must_be_a_code():
    with pytest.raises(TypeError):
        Money(Decimal(1), 978)


def test_money_is_immutable_and_hashable():
    price = eur("9.99")
    with pytest.raises(dataclasses.FrozenInstanceError):
        price.amount = Decimal(0)
    assert price.amount == Decimal("9.99")
    # Equal amounts are equal whatever their scale, and hash alike.
    assert eur("1.5") == eur("1.50")
    assert len({eur("1.5"), eur("1.50"), Money(Decimal("1.5"), "USD")}) == 2


# --- arithmetic ------------------------------------------------------------------------------


def test_arithmetic_in_one_currency():
    assert eur("10.10") + eur("0.95") == eur("11.05")
    assert eur("10.10") - eur("10.20") == eur("-0.10")
    assert -eur("3.50") == eur("-3.50")
    assert eur("19.99") * 3 == eur("59.97")
    assert 3 * eur("19.99") == eur("59.97")
    assert eur("100") * Decimal("0.19") == eur("19.00")
    assert (eur("0.10") + eur("0.20")).amount == Decimal("0.30")  # 0.1 + 0.2 is 0.3 here
    assert sum([eur("1.10"), eur("2.20"), eur("3.30")], Money.zero("EUR")) == eur("6.60")
    assert Money.zero("jpy") == Money(0, "JPY")


def test_comparison_in_one_currency():
    assert eur("1.00") < eur("1.01") <= eur("1.010") < eur("2")
    assert eur("2") > eur("-2") >= eur("-2.00")
    assert max(eur("5"), eur("7.5"), eur("-1")) == eur("7.5")
    assert not eur("1") < eur("1")


@pytest.mark.parametrize("operation", [add, sub, lt, le, gt, ge])
def test_combining_two_currencies_is_refused(operation):
    left, right = eur("1.00"), Money(Decimal("1.00"), "USD")
    with pytest.raises(CurrencyMismatchError) as caught:
        operation(left, right)
    assert caught.value.code == "currency_mismatch"
    assert isinstance(caught.value, DomainError)  # the API maps it to a 400 problem
    assert "EUR" in caught.value.detail
    assert "USD" in caught.value.detail
    assert left == eur("1.00")
    assert right == Money(Decimal("1.00"), "USD")


def test_equality_across_currencies_is_false_not_an_error():
    assert eur("1") != Money(Decimal(1), "USD")
    assert eur("1") != Decimal(1)


@pytest.mark.parametrize("factor", [1.5, 0.0])
def test_multiplying_by_a_float_is_refused(factor):
    with pytest.raises(TypeError):
        eur("10") * factor
    with pytest.raises(TypeError):
        factor * eur("10")


@pytest.mark.parametrize(
    ("left", "right"), [(eur("1"), 1), (eur("1"), Decimal(1)), (eur("1"), "1")]
)
def test_adding_a_bare_number_is_refused(left, right):
    with pytest.raises(TypeError):
        left + right
    with pytest.raises(TypeError):
        right + left
    with pytest.raises(TypeError):
        lt(left, right)


def test_multiplying_two_amounts_is_refused():
    with pytest.raises(TypeError):
        eur("2") * eur("3")
    with pytest.raises(TypeError):
        eur("2") * True


# --- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.005", "0.01"),  # half up (half-even would give 0.00)
        ("-0.005", "-0.01"),  # half away from zero, symmetric
        ("0.025", "0.03"),  # half-even would give 0.02
        ("-0.025", "-0.03"),
        ("0.0049", "0.00"),
        ("2.675", "2.68"),  # the float trap: 2.675 is 2.67499… as a float
        ("1234.565", "1234.57"),
        ("10", "10.00"),
    ],
)
def test_quantize_rounds_half_up_to_cents(amount, rounded):
    result = eur(amount).quantize()
    assert str(result.amount) == rounded
    assert result.currency == "EUR"


def test_quantize_never_leaves_a_negative_zero():
    assert str(eur("-0.0049").quantize().amount) == "0.00"


def test_currency_minor_units():
    assert minor_units("EUR") == 2
    assert minor_units("usd") == 2
    assert minor_units("JPY") == 0
    assert minor_units("BHD") == 3
    with pytest.raises(ValidationError):
        minor_units("EUX")


def test_yen_have_no_decimal_places():
    assert str(Money(Decimal("1234.5"), "JPY").quantize().amount) == "1235"
    assert str(Money(Decimal("-0.5"), "JPY").quantize().amount) == "-1"
    assert str(Money(Decimal("1234.4999"), "JPY").quantize().amount) == "1234"
    assert str(Money(Decimal("1.0005"), "BHD").quantize().amount) == "1.001"


# --- properties ------------------------------------------------------------------------------

CURRENCIES = st.sampled_from(["EUR", "USD", "CHF", "JPY", "BHD", "CLF"])
AMOUNTS = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)


@PROPERTY
@given(amount=AMOUNTS, currency=CURRENCIES)
def test_quantize_is_idempotent_exact_to_the_unit_and_symmetric(amount, currency):
    money = Money(amount, currency)
    once = money.quantize()
    assert once.quantize() == once
    assert str(once.quantize().amount) == str(once.amount)
    assert -int(once.amount.as_tuple().exponent) == minor_units(currency)
    unit = Decimal(1).scaleb(-minor_units(currency))
    assert abs(once.amount - amount) <= unit / 2
    assert (-money).quantize() == -once  # half away from zero: the sign does not matter


@PROPERTY
@given(parts=st.lists(AMOUNTS, min_size=1, max_size=30), currency=CURRENCIES)
def test_the_sum_of_rounded_parts_stays_within_half_a_unit_per_part(parts, currency):
    monies = [Money(part, currency) for part in parts]
    exact = reduce(add, monies)
    rounded = reduce(add, (money.quantize() for money in monies))
    half_unit = Decimal(1).scaleb(-minor_units(currency)) / 2
    assert exact.amount == sum(parts, Decimal(0))
    assert abs(rounded.amount - exact.amount) <= len(parts) * half_unit
