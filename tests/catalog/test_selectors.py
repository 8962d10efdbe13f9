"""Read paths of the catalogue: lists, the price of a product on a day, currency conversion."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kundenwert.catalog.models import ExchangeRate, tax_rate_display_name, unit_label
from kundenwert.catalog.selectors import (
    convert,
    exchange_rate_list,
    price_for,
    price_list_get,
    price_list_list,
    price_list_prices,
    product_get,
    product_list,
    product_name,
    rate_on,
    tax_rate_list,
)
from kundenwert.catalog.services import (
    exchange_rate_set,
    price_list_archive,
    price_list_update,
    product_archive,
)
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.core.money import Money
from kundenwert.org.policies import forget_permissions
from tests.catalog.factories import preset, price_list, priced, product

JAN1, JAN2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)


@pytest.fixture
def shelf(people):
    """Three products: a German-only one, a bilingual subscription, an archived one."""
    mia = people["mia"]
    return {
        "beratung": product(mia, "B-100", "Beratung", name_en="Consulting", unit="hour"),
        "abo": product(
            mia,
            "A-200",
            "Wartungsvertrag",
            name_en="Maintenance",
            is_recurring=True,
            billing_period="year",
            tax_rate_id=preset("reduced").pk,
        ),
        "alt": product_archive(actor=mia, product_id=product(mia, "Z-300", "Zubehör").pk),
    }


def skus(page) -> list[str]:
    return [row["sku"] if isinstance(row, dict) else row.sku for row in page.rows]


# --- products ---------------------------------------------------------------------------------


def test_product_list_is_active_only_and_sorted_by_the_name_in_the_active_language(people, shelf):
    anna = people["anna"]  # sales may read the catalogue
    with translation.override("de"):
        assert skus(product_list(viewer=anna, params={})) == ["B-100", "A-200"]
    with translation.override("en"):
        page = product_list(viewer=anna, params={})
        assert skus(page) == ["B-100", "A-200"]  # Consulting, Maintenance
        assert [p.name for p in page.rows] == ["Consulting", "Maintenance"]
    assert skus(product_list(viewer=anna, params={"sort": "-sku"})) == ["B-100", "A-200"]
    assert skus(product_list(viewer=anna, params={"sort": "sku"})) == ["A-200", "B-100"]
    assert skus(product_list(viewer=anna, params={"archived": "true"})) == ["Z-300"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"recurring": "true"}, ["A-200"]),
        ({"recurring": "false"}, ["B-100"]),
        ({"q": "wartung"}, ["A-200"]),
        ({"q": "b-10"}, ["B-100"]),
        ({"q": "consult"}, ["B-100"]),
        ({"q": "zubehör"}, []),  # archived
        ({"q": "zubehör", "archived": "true"}, ["Z-300"]),
        ({"sort": "-updated"}, ["A-200", "B-100"]),
    ],
)
def test_product_list_filters(people, shelf, params, expected):
    assert skus(product_list(viewer=people["vera"], params={"sort": "sku", **params})) == expected


def test_product_list_filters_by_tax_rate(people, shelf):
    params = {"tax_rate": str(preset("reduced").pk)}
    assert skus(product_list(viewer=people["vera"], params=params)) == ["A-200"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"recurring": "maybe"}, "recurring"),
        ({"tax_rate": "x"}, "tax_rate"),
        ({"sort": "price"}, "sort"),
        ({"q": "a"}, "q"),
        ({"owner": "1"}, "owner"),
    ],
)
def test_product_list_refuses_unknown_or_malformed_params(people, params, field):
    with pytest.raises(ValidationError) as info:
        product_list(viewer=people["vera"], params=params)
    assert field in info.value.message_dict


def test_product_list_pages_with_a_cursor(people):
    for n in range(5):
        product(people["mia"], f"P-{n}", f"Produkt {n}")
    first = product_list(viewer=people["vera"], params={"limit": "2"})
    second = product_list(viewer=people["vera"], params={"limit": "2", "cursor": first.next_cursor})
    third = product_list(viewer=people["vera"], params={"limit": "2", "cursor": second.next_cursor})
    assert skus(first) + skus(second) + skus(third) == [f"P-{n}" for n in range(5)]
    assert third.next_cursor is None


def test_product_list_values_for_list_pages_in_one_query(people, shelf, django_assert_num_queries):
    forget_permissions(people["vera"])
    product_list(viewer=people["vera"], params={})  # warm the permission cache
    with django_assert_num_queries(1):
        page = product_list(
            viewer=people["vera"],
            params={"sort": "sku"},
            values=("id", "sku", "name", "unit", "tax_rate__name", "is_recurring"),
        )
    assert page.rows[0] == {
        "id": shelf["abo"].pk,
        "sku": "A-200",
        "name": "Maintenance",  # the tests run in English
        "unit": "piece",
        "tax_rate__name": "Reduced rate (7 %)",
        "is_recurring": True,
    }


def test_product_get_and_visibility(people, shelf, outsider):
    assert product_get(viewer=people["anna"], product_id=shelf["alt"].pk).sku == "Z-300"
    with pytest.raises(NotFound):
        product_get(viewer=outsider, product_id=shelf["abo"].pk)
    with pytest.raises(NotFound):
        product_get(viewer=people["anna"], product_id=999_999)
    assert product_list(viewer=outsider, params={}).rows == []
    assert tax_rate_list(viewer=outsider, params={}).rows == []


def test_product_name_falls_back_to_the_other_language(people, shelf):
    only_de = shelf["alt"]
    assert product_name(shelf["beratung"], "en") == "Consulting"
    assert product_name(shelf["beratung"], "de-at") == "Beratung"
    assert product_name(only_de, "en") == "Zubehör"
    english_only = product(people["mia"], "E-1", "", name_en="Widget")
    english_only.name_de = ""
    assert product_name(english_only, "de") == "Widget"


def test_tax_rate_list_highest_first(people):
    rates = tax_rate_list(viewer=people["anna"], params={}).rows
    assert [r.preset for r in rates] == ["standard", "reduced", "exempt"]


# --- price lists and prices ---------------------------------------------------------------------


@pytest.fixture
def lists(people, shelf):
    mia = people["mia"]
    eur = price_list(mia, "Liste 2026", "EUR", valid_from=JAN1, valid_until=dt.date(2026, 12, 31),
                     is_default=True)  # fmt: skip
    old = price_list(mia, "Liste 2025", "EUR", valid_from=dt.date(2025, 1, 1),
                     valid_until=dt.date(2025, 12, 31))  # fmt: skip
    usd = price_list(mia, "US list", "USD", valid_from=JAN1, is_default=True)
    priced(mia, eur, shelf["beratung"], "120")
    priced(mia, eur, shelf["abo"], "0.0125")
    priced(mia, old, shelf["beratung"], "110")
    priced(mia, usd, shelf["beratung"], "135.50")
    return {"eur": eur, "old": old, "usd": usd}


def test_price_list_list_filters(people, lists):
    def names(params):
        return [p.name for p in price_list_list(viewer=people["anna"], params=params).rows]

    assert names({}) == ["Liste 2025", "Liste 2026", "US list"]
    assert names({"currency": "eur"}) == ["Liste 2025", "Liste 2026"]
    assert names({"valid_on": "2025-06-30"}) == ["Liste 2025"]
    assert names({"valid_on": "2027-01-01"}) == ["US list"]
    assert names({"default": "true", "sort": "-name"}) == ["US list", "Liste 2026"]
    with pytest.raises(ValidationError) as info:
        names({"currency": "EURO", "valid_on": "30.06.2025"})
    assert set(info.value.message_dict) == {"currency", "valid_on"}


def test_price_list_prices_by_sku(people, lists):
    page = price_list_prices(viewer=people["anna"], price_list_id=lists["eur"].pk, params={})
    assert [(p.product.sku, p.unit_price) for p in page.rows] == [
        ("A-200", Decimal("0.0125")),
        ("B-100", Decimal("120")),
    ]
    with pytest.raises(NotFound):
        price_list_prices(viewer=people["anna"], price_list_id=999_999, params={})
    assert price_list_get(viewer=people["anna"], price_list_id=lists["usd"].pk).currency == "USD"


def test_price_for_a_list_or_a_currency_on_a_day(people, shelf, lists):
    consulting = shelf["beratung"]
    assert price_for(product=consulting, price_list=lists["eur"], on=JAN2) == Money(
        Decimal("120"), "EUR"
    )
    assert price_for(product=consulting.pk, price_list=lists["old"].pk, on=dt.date(2025, 3, 1)) == (
        Money(Decimal("110"), "EUR")
    )
    assert price_for(product=consulting, currency="usd", on=JAN2) == Money(Decimal("135.5"), "USD")
    assert price_for(product=shelf["abo"], currency="EUR", on=JAN2).amount == Decimal("0.0125")


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"currency": "EUR", "on": dt.date(2024, 6, 1)}, "no_price_list",
         "There is no default price list in EUR valid on 2024-06-01."),
        ({"currency": "CHF", "on": JAN2}, "no_price_list",
         "There is no default price list in CHF valid on 2026-01-02."),
        ({"price_list": "old", "on": JAN2}, "price_list_not_valid",
         "The price list “Liste 2025” is not valid on 2026-01-02."),
        ({"price_list": "usd", "on": JAN2, "product": "abo"}, "no_price",
         "There is no price for this product on the list “US list”."),
    ],
)  # fmt: skip
def test_price_for_refuses_clearly_when_there_is_no_price(shelf, lists, kwargs, code, message):
    kwargs = dict(kwargs)
    item = shelf[kwargs.pop("product", "beratung")]
    if "price_list" in kwargs:
        kwargs["price_list"] = lists[kwargs["price_list"]]
    with pytest.raises(ValidationError) as info:
        price_for(product=item, **kwargs)
    assert (info.value.code, info.value.messages) == (code, [message])


def test_price_for_an_archived_or_expired_list(people, shelf, lists):
    price_list_update(
        actor=people["mia"], price_list_id=lists["usd"].pk, data={"valid_until": JAN1}
    )
    with pytest.raises(ValidationError) as info:
        price_for(product=shelf["beratung"], currency="USD", on=JAN2)
    assert info.value.code == "no_price_list"
    price_list_archive(actor=people["mia"], price_list_id=lists["eur"].pk)
    with pytest.raises(ValidationError) as info:
        price_for(product=shelf["beratung"], price_list=lists["eur"].pk, on=JAN2)
    assert info.value.code == "price_list_archived"


def test_price_for_needs_exactly_one_source(shelf, lists):
    with pytest.raises(TypeError):
        price_for(product=shelf["beratung"], on=JAN2)
    with pytest.raises(TypeError):
        price_for(product=shelf["beratung"], on=JAN2, currency="EUR", price_list=lists["eur"])


# --- exchange rates ------------------------------------------------------------------------------


@pytest.fixture
def rates(people):
    for currency, day, rate in [
        ("USD", dt.date(2026, 1, 2), "1.0823"),
        ("USD", dt.date(2026, 1, 5), "1.0901"),
        ("GBP", dt.date(2026, 1, 2), "0.8500"),
        ("JPY", dt.date(2026, 1, 2), "163.25"),
    ]:
        exchange_rate_set(actor=people["mia"], currency=currency, date=day, rate=rate)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 2), "1.0823"),  # the day itself
        (dt.date(2026, 1, 4), "1.0823"),  # a weekend: the latest before
        (dt.date(2026, 1, 5), "1.0901"),
        (dt.date(2030, 1, 1), "1.0901"),
    ],
)
def test_rate_on_takes_the_latest_rate_on_or_before_the_day(rates, day, expected):
    assert rate_on("usd", day) == Decimal(expected)


def test_rate_on_without_an_old_enough_rate_is_a_clear_error(rates):
    with pytest.raises(ValidationError) as info:
        rate_on("USD", dt.date(2026, 1, 1))
    assert info.value.code == "no_exchange_rate"
    assert info.value.messages == ["There is no exchange rate for USD on or before 2026-01-01."]
    with pytest.raises(ValidationError):
        convert(Money(Decimal(1), "CHF"), "EUR", dt.date(2026, 1, 5))
    assert rate_on("EUR", dt.date(1990, 1, 1)) == Decimal(1)


def test_convert_between_base_and_other_currencies(rates):
    day = dt.date(2026, 1, 3)
    assert convert(Money(Decimal("100"), "EUR"), "USD", day) == Money(Decimal("108.23"), "USD")
    assert convert(Money(Decimal("108.23"), "USD"), "EUR", day) == Money(Decimal("100.00"), "EUR")
    # Cross rates go through the base currency: 100 GBP = 100 / 0.85 × 163.25 JPY, 0 places.
    assert convert(Money(Decimal("100"), "GBP"), "JPY", day) == Money(Decimal("19206"), "JPY")
    with decimal.localcontext(prec=34):
        exact = Decimal(1) / Decimal("1.0823")
    unrounded = convert(Money(Decimal("1"), "USD"), "EUR", day, rounded=False)
    assert unrounded.amount == exact and len(exact.as_tuple().digits) == 34
    assert convert(Money(Decimal("1.005"), "EUR"), "EUR", day) == Money(Decimal("1.01"), "EUR")
    # The date decides: on the 5th the newer USD rate applies.
    assert convert(Money(Decimal("100"), "EUR"), "USD", dt.date(2026, 1, 5)).amount == Decimal(
        "109.01"
    )


def test_convert_follows_the_base_currency_setting(people, settings):
    settings.BASE_CURRENCY = "USD"
    exchange_rate_set(actor=people["mia"], currency="EUR", date=JAN2, rate="0.9")
    assert convert(Money(Decimal("9"), "EUR"), "USD", JAN2) == Money(Decimal("10.00"), "USD")


def test_exchange_rate_list_filters(people, rates):
    def rows(params):
        page = exchange_rate_list(viewer=people["anna"], params=params)
        return [(r.currency, r.date.day) for r in page.rows]

    assert rows({}) == [("USD", 5), ("USD", 2), ("JPY", 2), ("GBP", 2)]
    assert rows({"currency": "usd", "sort": "date"}) == [("USD", 2), ("USD", 5)]
    assert rows({"since": "2026-01-03"}) == [("USD", 5)]
    assert rows({"until": "2026-01-02", "sort": "currency"}) == [
        ("GBP", 2), ("JPY", 2), ("USD", 2),
    ]  # fmt: skip
    with pytest.raises(ValidationError) as info:
        rows({"since": "gestern"})
    assert set(info.value.message_dict) == {"since"}


# --- exactness ------------------------------------------------------------------------------------

PROPERTY = settings(
    derandomize=True,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
CURRENCIES = ("EUR", "USD", "JPY", "BHD", "CHF")
rate_values = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4, allow_nan=False
)
amounts = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2, allow_nan=False
)


def _minor(currency: str) -> Decimal:
    return Decimal(1).scaleb(-{"JPY": 0, "BHD": 3}.get(currency, 2))


@PROPERTY
@given(
    source=st.sampled_from(CURRENCIES),
    target=st.sampled_from(CURRENCIES),
    amount=amounts,
    source_rate=rate_values,
    target_rate=rate_values,
)
def test_converting_there_and_back_stays_within_rounding(
    db, source, target, amount, source_rate, target_rate
):
    ExchangeRate.objects.all().delete()
    for code, rate in ((source, source_rate), (target, target_rate)):
        if code != "EUR":
            ExchangeRate.objects.update_or_create(currency=code, date=JAN1, defaults={"rate": rate})
    money = Money(amount, source).quantize()
    there = convert(money, target, JAN2)
    back = convert(there, source, JAN2)
    assert there.currency == target and back.currency == source
    assert there.amount == there.amount.quantize(_minor(target))  # rounded to minor units
    # Each leg rounds by at most half a minor unit; the first leg's error is scaled back.
    factor = rate_on(source, JAN2) / rate_on(target, JAN2)
    bound = _minor(target) / 2 * factor + _minor(source) / 2
    assert abs(back.amount - money.amount) <= bound
    exact = convert(money, target, JAN2, rounded=False)
    assert abs(exact.amount - there.amount) <= _minor(target) / 2


def test_list_rows_carry_what_display_helpers_need(people, shelf):
    page = product_list(
        viewer=people["vera"],
        params={"sort": "sku"},
        values=("sku", "unit", "tax_rate__name", "tax_rate__preset"),
    )
    labels = [
        (unit_label(r["unit"]), tax_rate_display_name(r["tax_rate__name"], r["tax_rate__preset"]))
        for r in page.rows
    ]
    assert labels == [("piece", "Reduced rate (7 %)"), ("hour", "Standard rate (19 %)")]
    assert unit_label("Seat") == "Seat"
    with translation.override("de"):
        assert unit_label("hour") == translation.gettext("hour")
