"""Money, numbers and dates as the interface shows them in German and in English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from kundenwert.activities.models import Activity
from kundenwert.contacts.models import Organization
from kundenwert.core.errors import ValidationError
from kundenwert.core.money import Money, babel_locale, format_decimal, format_money

NBSP = "\u00a0"  # CLDR puts a no-break space between amount and symbol where one belongs


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load l10n kundenwert_format %}" + source).render(Context(context))


# --- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("de", "1234.56", "EUR", f"1.234,56{NBSP}€"),
        ("en", "1234.56", "EUR", "€1,234.56"),
        ("de", "-1234.56", "EUR", f"-1.234,56{NBSP}€"),
        ("en", "-1234.56", "EUR", "-€1,234.56"),
        ("de", "1234.56", "USD", f"1.234,56{NBSP}$"),
        ("en", "1234.56", "USD", "$1,234.56"),
        ("de", "1234.56", "CHF", f"1.234,56{NBSP}CHF"),
        ("en", "1234.56", "CHF", f"CHF{NBSP}1,234.56"),  # CLDR currency spacing
        ("en", "-1234.56", "CHF", f"-CHF{NBSP}1,234.56"),
        ("de", "1234567.891", "EUR", f"1.234.567,89{NBSP}€"),
        ("de", "0.125", "EUR", f"0,13{NBSP}€"),  # half up; babel alone would round half-even
        ("en", "-0.125", "EUR", "-€0.13"),
        ("de", "-0.001", "EUR", f"0,00{NBSP}€"),  # no "-0,00 €"
        ("de", "1234.5", "JPY", f"1.235{NBSP}¥"),
        ("en", "1234.5", "JPY", "¥1,235"),
        ("de", "12", "EUR", f"12,00{NBSP}€"),
    ],
)
def test_money_filter_with_a_currency(language, amount, currency, expected):
    out = render('{{ amount|money:"' + currency + '" }}', language, amount=Decimal(amount))
    assert out == expected


def test_money_filter_with_a_money_value_and_other_inputs():
    price = Money(Decimal("1234.56"), "EUR")
    assert render("{{ price|money }}", "de", price=price) == f"1.234,56{NBSP}€"
    assert render("{{ price|money }}", "en", price=price) == "€1,234.56"
    assert render('{{ price|money:"eur" }}', "de", price=price) == f"1.234,56{NBSP}€"
    assert render('{{ n|money:"EUR" }}', "de", n=1234) == f"1.234,00{NBSP}€"
    assert render('{{ text|money:"EUR" }}', "de", text="1234.5") == f"1.234,50{NBSP}€"
    assert render('{{ missing|money:"EUR" }}', "de", missing=None) == ""
    assert render('{{ undefined|money:"EUR" }}', "de") == ""


def test_money_filter_refuses_what_would_show_a_wrong_price():
    with pytest.raises(TypeError):
        render('{{ amount|money:"EUR" }}', "de", amount=1234.56)  # a float
    with pytest.raises(ValidationError):
        render('{{ amount|money:"EUX" }}', "de", amount=Decimal(1))
    with pytest.raises(ValueError):
        render("{{ amount|money }}", "de", amount=Decimal(1))  # no currency
    with pytest.raises(ValueError):
        render('{{ price|money:"USD" }}', "de", price=Money(Decimal(1), "EUR"))
    with pytest.raises(ValueError):
        render('{{ text|money:"EUR" }}', "de", text="twelve")


def test_format_functions_take_an_explicit_locale():
    assert format_money(Decimal("1234.56"), "EUR", "de_AT") == f"€{NBSP}1.234,56"
    assert format_money(Decimal("1234.56"), "USD", "en_GB") == "US$1,234.56"
    assert format_decimal(Decimal("1234567.5"), "en_IN") == "12,34,567.5"  # its own grouping


def test_languages_map_to_babel_locales():
    assert babel_locale("de") == "de_DE"
    assert babel_locale("en") == "en_US"
    assert babel_locale("en-gb") == "en_GB"
    assert babel_locale("de-at") == "de_AT"
    assert babel_locale("xx") == "de_DE"  # unknown: the site's default language
    with translation.override("en"):
        assert babel_locale() == "en_US"


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "value", "source", "expected"),
    [
        ("de", Decimal("1234.5"), "{{ v|number }}", "1.234,5"),
        ("en", Decimal("1234.5"), "{{ v|number }}", "1,234.5"),
        ("de", 1234567, "{{ v|number }}", "1.234.567"),
        ("en", 1234567, "{{ v|number }}", "1,234,567"),
        ("de", Decimal("-1234.50"), "{{ v|number }}", "-1.234,50"),  # the places it has
        ("de", Decimal("0.123456"), "{{ v|number }}", "0,123456"),  # no digit dropped
        ("de", 0.1, "{{ v|number }}", "0,1"),  # a float by its shortest form
        ("de", Decimal("1234.565"), "{{ v|number:2 }}", "1.234,57"),  # half up
        ("en", Decimal("-2.345"), "{{ v|number:2 }}", "-2.35"),
        ("de", Decimal("1234"), '{{ v|number:"1" }}', "1.234,0"),
        ("de", Decimal("-0.0001"), "{{ v|number:2 }}", "0,00"),
        ("de", "1234.5", "{{ v|number }}", "1.234,5"),
        ("de", Money(Decimal("1234.5"), "EUR"), "{{ v|number }}", "1.234,5"),
        ("de", None, "{{ v|number }}", ""),
    ],
)
def test_number_filter(language, value, source, expected):
    assert render(source, language, v=value) == expected


# --- Django's own localisation, as the templates use it --------------------------------------

MOMENT = dt.datetime(2026, 11, 27, 13, 30, tzinfo=dt.UTC)  # 14:30 in Berlin


def test_settings_leave_thousand_grouping_to_explicit_filters():
    # With USE_THOUSAND_SEPARATOR on, every {{ int }} would be grouped: value="{{ row.id }}"
    # in the list's checkboxes would become "1.234" and bulk actions would break.
    assert settings.USE_THOUSAND_SEPARATOR is False
    assert settings.TIME_ZONE == "Europe/Berlin"
    assert render('<input value="{{ id }}">', "de", id=1234) == '<input value="1234">'


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "de",
            [
                "27.11.2026",
                "27.11.2026 14:30",
                "27. November 2026 14:30",
                "1234,5",
                "1.234,5",
                "1.234,50",
                "1234,5",
            ],
        ),
        (
            "en",
            [
                "11/27/2026",
                "11/27/2026 2:30 p.m.",
                "Nov. 27, 2026, 2:30 p.m.",
                "1234.5",
                "1,234.5",
                "1,234.50",
                "1234.5",
            ],
        ),
    ],
)
def test_django_localises_dates_and_numbers(language, expected):
    source = "|".join(
        [
            '{{ day|date:"SHORT_DATE_FORMAT" }}',
            '{{ moment|date:"SHORT_DATETIME_FORMAT" }}',
            "{{ moment }}",  # how the detail pages show a datetime
            "{{ d|localize }}",  # no grouping: USE_THOUSAND_SEPARATOR is off
            '{{ d|floatformat:"1g" }}',
            '{{ d|floatformat:"2g" }}',
            "{{ d }}",
        ]
    )
    out = render(source, language, day=dt.date(2026, 11, 27), moment=MOMENT, d=Decimal("1234.5"))
    assert out.split("|") == expected


# --- end to end: a signed-in user's page -----------------------------------------------------


def sign_in(username: str, browser_language: str) -> Client:
    """Sign in through the real sign-in form; the browser asks for another language."""
    client = Client(HTTP_ACCEPT_LANGUAGE=browser_language)
    response = client.post("/accounts/login/", {"username": username, "password": "demo"})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_organisation_page_shows_dates_in_the_users_language(world):
    Organization.objects.filter(pk=world.org.pk).update(created_at=MOMENT)
    noted = dt.datetime(2026, 3, 4, 9, 5, tzinfo=dt.UTC)  # 10:05 in Berlin (CET)
    Activity.objects.filter(pk=world.note.pk).update(occurred_at=noted)
    anna = world.people["anna"]
    assert anna.language == "de"
    url = f"/organizations/{world.org.pk}/"

    page = sign_in("anna", "en").get(url).content.decode()
    assert 'lang="de"' in page
    assert "<dt>Erstellt</dt><dd>27. November 2026 14:30</dd>" in page
    assert '<time datetime="2026-03-04T10:05:00+01:00">04.03.2026 10:05</time>' in page

    anna.language = "en"
    anna.save(update_fields=["language"])
    page = sign_in("anna", "de").get(url).content.decode()
    assert 'lang="en"' in page
    assert "<dt>Created</dt><dd>Nov. 27, 2026, 2:30 p.m.</dd>" in page
    assert '<time datetime="2026-03-04T10:05:00+01:00">03/04/2026 10:05 a.m.</time>' in page
