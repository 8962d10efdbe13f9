"""Document totals: per-line rounding, tax once per rate, sums that always agree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kundenwert.core.errors import ValidationError
from kundenwert.orders.totals import Line, Totals, compute, round_amount

PROPERTY = settings(
    derandomize=True,
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

# Currencies with 0, 2 and 3 minor units.
CURRENCY_PLACES = {"JPY": 0, "EUR": 2, "USD": 2, "BHD": 3, "KWD": 3}


def places_of(amount: Decimal) -> int:
    return -amount.as_tuple().exponent


# --- examples ----------------------------------------------------------------------------------


def test_each_line_is_rounded_half_up_to_the_cent():
    totals = compute(
        [
            Line(quantity=Decimal(3), unit_price=Decimal("0.3350"), tax_rate=Decimal(19)),
            Line(quantity=Decimal(1), unit_price=Decimal("0.005"), tax_rate=Decimal(19)),
        ],
        "EUR",
    )
    # 3 × 0.335 = 1.005 → 1.01 (half up, not banker's 1.00); 0.005 → 0.01.
    assert [line.net for line in totals.lines] == [Decimal("1.01"), Decimal("0.01")]
    assert totals.net == Decimal("1.02")


def test_the_tax_is_computed_once_per_rate_on_the_net_sum_not_per_line():
    # Five lines of 0.07 at 7 %: per line 0.0049 would round to 0.00 each, 0.00 in all; on the
    # net sum 0.35 × 7 % = 0.0245 → 0.02.
    lines = [
        Line(quantity=Decimal(1), unit_price=Decimal("0.07"), tax_rate=Decimal(7)) for _ in range(5)
    ]
    totals = compute(lines, "EUR")
    assert totals.net == Decimal("0.35")
    assert totals.tax == Decimal("0.02")
    assert totals.gross == Decimal("0.37")


def test_rates_are_grouped_and_listed_from_the_highest():
    totals = compute(
        [
            Line(quantity=Decimal(2), unit_price=Decimal("10.00"), tax_rate=Decimal(7)),
            Line(
                quantity=Decimal("1.5"),
                unit_price=Decimal("99.99"),
                tax_rate=Decimal("19.00"),
                discount_percent=Decimal(10),
            ),
            Line(quantity=Decimal(1), unit_price=Decimal("5"), tax_rate=Decimal(19)),
            Line(quantity=Decimal(1), unit_price=Decimal("3"), tax_rate=Decimal(0)),
        ],
        "EUR",
    )
    # 1.5 × 99.99 × 0.9 = 134.9865 → 134.99
    assert [line.net for line in totals.lines] == [
        Decimal("20.00"),
        Decimal("134.99"),
        Decimal("5.00"),
        Decimal("3.00"),
    ]
    assert [(group.tax_rate, group.net, group.tax) for group in totals.taxes] == [
        (Decimal(19), Decimal("139.99"), Decimal("26.60")),  # 26.5981
        (Decimal(7), Decimal("20.00"), Decimal("1.40")),
        (Decimal(0), Decimal("3.00"), Decimal("0.00")),
    ]
    assert (totals.net, totals.tax, totals.gross) == (
        Decimal("162.99"),
        Decimal("28.00"),
        Decimal("190.99"),
    )


def test_a_currency_without_minor_units_rounds_to_whole_units():
    totals = compute(
        [Line(quantity=Decimal(3), unit_price=Decimal("33.5"), tax_rate=Decimal(10))], "jpy"
    )
    assert totals.currency == "JPY"
    assert totals.lines[0].net == Decimal("101")  # 100.5 → 101
    assert totals.tax == Decimal("10")  # 10.1 → 10
    assert str(totals.gross) == "111"


def test_no_lines_give_zero_totals_with_the_currencys_places():
    totals = compute([], "BHD")
    assert (str(totals.net), str(totals.tax), str(totals.gross)) == ("0.000", "0.000", "0.000")
    assert totals.taxes == ()


def test_negated_totals_are_the_credit_note_of_the_same_lines():
    lines = [Line(quantity=Decimal(1), unit_price=Decimal("0.125"), tax_rate=Decimal(19))]
    totals = compute(lines, "EUR")
    credit = totals.negated()
    assert (credit.net, credit.tax, credit.gross) == (
        Decimal("-0.13"),
        Decimal("-0.02"),
        Decimal("-0.15"),
    )
    # Half away from zero is symmetric: negating after rounding equals rounding the negative.
    assert credit.net == round_amount(Decimal("-0.125"), 2)
    zero = compute(
        [Line(quantity=Decimal(1), unit_price=Decimal(0), tax_rate=Decimal(19))], "EUR"
    ).negated()
    assert str(zero.gross) == "0.00"  # never "-0.00"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quantity": Decimal(0)}, "quantity"),
        ({"quantity": Decimal("-1")}, "quantity"),
        ({"unit_price": Decimal("-0.01")}, "unit_price"),
        ({"discount_percent": Decimal("-1")}, "discount_percent"),
        ({"discount_percent": Decimal("100.01")}, "discount_percent"),
        ({"tax_rate": Decimal("-7")}, "tax_rate"),
        ({"tax_rate": Decimal("101")}, "tax_rate"),
        ({"quantity": Decimal("NaN")}, "quantity"),
        ({"unit_price": Decimal("Infinity")}, "unit_price"),
    ],
)
def test_bad_lines_are_refused_with_a_field_error(fields, field):
    values = {"quantity": Decimal(1), "unit_price": Decimal(1), "tax_rate": Decimal(19)} | fields
    with pytest.raises(ValidationError) as caught:
        Line(**values)
    assert list(caught.value.message_dict) == [field]


@pytest.mark.parametrize("field", ["quantity", "unit_price", "tax_rate", "discount_percent"])
@pytest.mark.parametrize("value", [1.0, "1", True, None])
def test_floats_and_other_non_decimals_are_refused(field, value):
    values = {"quantity": Decimal(1), "unit_price": Decimal(1), "tax_rate": Decimal(19)}
    with pytest.raises(TypeError):
        Line(**(values | {field: value}))


def test_a_full_discount_and_a_zero_price_are_allowed():
    totals = compute(
        [
            Line(
                quantity=Decimal(2),
                unit_price=Decimal("50"),
                tax_rate=Decimal(19),
                discount_percent=Decimal(100),
            ),
            Line(quantity=Decimal(1), unit_price=Decimal(0), tax_rate=Decimal(7)),
        ],
        "EUR",
    )
    assert totals.gross == Decimal("0.00")


def test_an_unknown_currency_and_foreign_objects_are_refused():
    line = Line(quantity=Decimal(1), unit_price=Decimal(1), tax_rate=Decimal(19))
    with pytest.raises(ValidationError):
        compute([line], "EUX")
    with pytest.raises(TypeError):
        compute([{"quantity": Decimal(1)}], "EUR")


# --- properties --------------------------------------------------------------------------------

quantities = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal(100000), places=3, allow_nan=False
)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(1000000), places=4, allow_nan=False)
discounts = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2, allow_nan=False)
rates = st.sampled_from([Decimal(0), Decimal(7), Decimal("7.00"), Decimal(19), Decimal("5.5")])
lines_strategy = st.lists(
    st.builds(
        Line, quantity=quantities, unit_price=prices, tax_rate=rates, discount_percent=discounts
    ),
    max_size=30,
)


def assert_consistent(totals: Totals, places: int) -> None:
    amounts = [totals.net, totals.tax, totals.gross]
    amounts += [line.net for line in totals.lines]
    amounts += [value for group in totals.taxes for value in (group.net, group.tax, group.gross)]
    assert all(places_of(amount) == places for amount in amounts), amounts
    assert sum((line.net for line in totals.lines), Decimal(0)) == totals.net
    assert sum((group.net for group in totals.taxes), Decimal(0)) == totals.net
    assert sum((group.tax for group in totals.taxes), Decimal(0)) == totals.tax
    assert totals.gross == totals.net + totals.tax


@PROPERTY
@given(lines=lines_strategy, currency=st.sampled_from(sorted(CURRENCY_PLACES)))
def test_line_sums_tax_sums_and_gross_always_agree(lines, currency):
    totals = compute(lines, currency)
    places = CURRENCY_PLACES[currency]
    assert_consistent(totals, places)
    assert_consistent(totals.negated(), places)
    # One group per distinct rate (19 and 19.00 are the same rate).
    assert len(totals.taxes) == len({line.tax_rate for line in lines})
    for group in totals.taxes:
        exact = group.net * group.tax_rate / 100
        assert abs(group.tax - exact) <= Decimal(1).scaleb(-places) / 2


@PROPERTY
@given(lines=lines_strategy, currency=st.sampled_from(sorted(CURRENCY_PLACES)))
def test_each_line_is_within_half_a_minor_unit_of_its_exact_value(lines, currency):
    totals = compute(lines, currency)
    half = Decimal(1).scaleb(-CURRENCY_PLACES[currency]) / 2
    for line, result in zip(lines, totals.lines, strict=True):
        exact = line.quantity * line.unit_price * (100 - line.discount_percent) / 100
        assert abs(result.net - exact) <= half
        assert result.net >= 0


@PROPERTY
@given(lines=lines_strategy)
def test_the_order_of_lines_does_not_change_the_totals(lines):
    forward = compute(lines, "EUR")
    backward = compute(list(reversed(lines)), "EUR")
    assert (forward.net, forward.tax, forward.gross, forward.taxes) == (
        backward.net,
        backward.tax,
        backward.gross,
        backward.taxes,
    )
