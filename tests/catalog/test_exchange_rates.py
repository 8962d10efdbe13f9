"""Exchange rates: entered one by one, or imported from CSV all or nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import ExchangeRate
from kundenwert.catalog.services import (
    CSV_MAX_BYTES,
    ImportCounts,
    ImportTooLarge,
    exchange_rate_set,
    exchange_rates_import_csv,
)
from kundenwert.core.errors import PermissionDenied, ValidationError
from tests.catalog.state import nothing_changed
from tests.core.state import one_event

Verb = AuditEvent.Verb
DAY = dt.date(2026, 1, 2)


def stored() -> dict[tuple[str, dt.date], Decimal]:
    return {(r.currency, r.date): r.rate for r in ExchangeRate.objects.all()}


# --- one rate ------------------------------------------------------------------------------------


def test_set_a_rate_then_replace_it(people):
    with one_event(Verb.CREATE) as watch:
        rate, created = exchange_rate_set(
            actor=people["mia"], currency="usd", date=DAY, rate="1.0823"
        )
    assert created is True
    assert stored() == {("USD", DAY): Decimal("1.0823")}
    assert str(rate) == "1 EUR = 1.0823 USD (2026-01-02)"
    assert watch.events[0].changes["rate"] == [None, "1.0823000000"]
    with one_event(Verb.UPDATE) as watch:
        _rate, created = exchange_rate_set(
            actor=people["mia"], currency="USD", date="2026-01-02", rate=Decimal("1.09")
        )
    assert created is False
    assert stored() == {("USD", DAY): Decimal("1.09")}
    assert watch.events[0].changes == {"rate": ["1.0823000000", "1.0900000000"]}
    with nothing_changed():
        exchange_rate_set(actor=people["mia"], currency="USD", date=DAY, rate="1.090")


@pytest.mark.parametrize(
    ("currency", "date", "rate", "fields"),
    [
        ("EUR", DAY, "1", {"currency"}),
        ("XYZ", DAY, "1", {"currency"}),
        ("USD", "2.1.2026", "1", {"date"}),
        ("USD", DAY, "0", {"rate"}),
        ("USD", DAY, "-1.2", {"rate"}),
        ("USD", DAY, 1.0823, {"rate"}),
        ("USD", DAY, "1.00000000001", {"rate"}),
        ("USD", DAY, "NaN", {"rate"}),
        ("USD", DAY, "12345678901", {"rate"}),
        ("EURO", "gestern", "x", {"currency", "date", "rate"}),
    ],
)
def test_bad_rates_are_refused(people, currency, date, rate, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        exchange_rate_set(actor=people["mia"], currency=currency, date=date, rate=rate)
    assert set(info.value.message_dict) == fields


def test_the_base_currency_follows_the_setting(people, settings):
    settings.BASE_CURRENCY = "CHF"
    with nothing_changed(), pytest.raises(ValidationError) as info:
        exchange_rate_set(actor=people["mia"], currency="CHF", date=DAY, rate="1")
    assert info.value.message_dict == {
        "currency": ["CHF is the base currency: its rate is always 1."]
    }
    exchange_rate_set(actor=people["mia"], currency="EUR", date=DAY, rate="1.05")


def test_the_database_refuses_a_zero_rate_and_a_second_rate_per_day(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(currency="USD", date=DAY, rate=Decimal(0))
    ExchangeRate.objects.create(currency="USD", date=DAY, rate=Decimal(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(currency="USD", date=DAY, rate=Decimal(2))


@pytest.mark.parametrize("who", ["anna", "vera"])
def test_rates_need_catalogue_edit(people, who):
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        exchange_rate_set(actor=people[who], currency="USD", date=DAY, rate="1")
    assert (watch.events[0].target_type, watch.events[0].changes) == (
        "exchangerate", {"action": "product.edit"},
    )  # fmt: skip
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        exchange_rates_import_csv(actor=people[who], text="currency,date,rate\nUSD,2026-01-02,1\n")


# --- CSV import ----------------------------------------------------------------------------------


def test_import_creates_updates_and_counts_unchanged_rows(people):
    exchange_rate_set(actor=people["mia"], currency="USD", date=DAY, rate="1.08")
    exchange_rate_set(actor=people["mia"], currency="GBP", date=DAY, rate="0.85")
    text = (
        "currency,date,rate\n"
        "USD,2026-01-02,1.0823\n"  # changed
        "GBP,2026-01-02,0.8500\n"  # unchanged
        "usd,2026-01-05,1.0901\n"  # new, lower-case code
        "\n"  # blank lines are fine
        "JPY,2026-01-02,163.25\n"  # new
    )
    with one_event(Verb.UPDATE) as watch:
        counts = exchange_rates_import_csv(actor=people["mia"], text=text)
    assert counts == ImportCounts(created=2, updated=1, unchanged=1)
    assert stored() == {
        ("USD", DAY): Decimal("1.0823"),
        ("GBP", DAY): Decimal("0.85"),
        ("USD", dt.date(2026, 1, 5)): Decimal("1.0901"),
        ("JPY", DAY): Decimal("163.25"),
    }
    event = watch.events[0]
    assert event.target_type == "exchangerate"
    assert event.changes == {
        "import": [None, {"created": 2, "updated": 1}],
        "USD 2026-01-02": ["1.0800000000", "1.0823000000"],
    }
    with nothing_changed():  # the same file again changes nothing and records nothing
        again = exchange_rates_import_csv(actor=people["mia"], text=text)
    assert again == ImportCounts(created=0, updated=0, unchanged=4)


def test_import_reads_the_german_format_from_bytes(people):
    data = (
        "Currency;Date;Rate\n"
        + "USD;02.01.2026;1,0823\n"
        + "JPY;2.1.2026;163,2\n"
        + 'IDR;2026-01-02;"17.234,5"\n'
        + "HUF;2026-01-02;1.234.567\n"
    ).encode("utf-8-sig")  # with the byte-order mark spreadsheets write
    counts = exchange_rates_import_csv(actor=people["mia"], file=io.BytesIO(data))
    assert counts == ImportCounts(created=4, updated=0, unchanged=0)
    assert stored() == {
        ("USD", DAY): Decimal("1.0823"),
        ("JPY", DAY): Decimal("163.2"),
        ("IDR", DAY): Decimal("17234.5"),
        ("HUF", DAY): Decimal("1234567"),
    }


def test_import_reads_columns_in_any_order_and_quoted_decimal_commas(people):
    text = 'rate,currency,date\r\n"1,0823",USD,2026-01-02\r\n"17,234.5",IDR,2026-01-02\r\n'
    exchange_rates_import_csv(actor=people["mia"], text=text)
    assert stored() == {("USD", DAY): Decimal("1.0823"), ("IDR", DAY): Decimal("17234.5")}


def test_import_is_all_or_nothing_and_names_every_bad_line(people):
    exchange_rate_set(actor=people["mia"], currency="USD", date=DAY, rate="1.08")
    text = (
        "currency,date,rate\n"
        "USD,2026-01-02,1.10\n"  # 2: fine, but must not be written
        "XYZ,2026-01-02,1.10\n"  # 3
        "GBP,31.02.2026,0.85\n"  # 4
        "GBP,2026-01-03,-0.85\n"  # 5
        "EUR,2026-01-03,1\n"  # 6: the base currency
        "CHF,2026-01-03,0,94\n"  # 7: decimal comma with , as separator
        "USD,2026-01-02,1.10\n"  # 8: the same day as line 2
        "CHF,2026-01-03,0.000000000001\n"  # 9: too many places
        "CHF,2026-01-04,1.2.3\n"  # 10
        "GBP\n"  # 11
    )
    with nothing_changed(), pytest.raises(ValidationError) as info:
        exchange_rates_import_csv(actor=people["mia"], text=text)
    errors = info.value.message_dict
    assert sorted(errors, key=lambda k: int(k.split()[1])) == [
        f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11)
    ]
    assert errors["line 3"] == ["“XYZ” is not a known currency code."]
    assert errors["line 4"] == ["“31.02.2026” is not a date (write 2026-01-31 or 31.01.2026)."]
    assert errors["line 5"] == ["“-0.85” is not a positive number."]
    assert errors["line 6"] == ["EUR is the base currency: its rate is always 1."]
    assert errors["line 7"] == [
        "Expected 3 values, found 4. "
        "A decimal comma needs ; as the separator, or the number in quotes."
    ]
    assert errors["line 8"] == ["USD on 2026-01-02 already appears on line 2."]
    assert errors["line 9"] == ["Give the rate with at most 10 decimal places."]
    assert stored() == {("USD", DAY): Decimal("1.08")}


def test_a_day_given_twice_is_refused_even_with_the_same_rate(people):
    text = "currency;date;rate\nUSD;2026-01-02;1,08\nUSD;02.01.2026;1,08\n"
    with nothing_changed(), pytest.raises(ValidationError) as info:
        exchange_rates_import_csv(actor=people["mia"], text=text)
    assert info.value.message_dict == {"line 3": ["USD on 2026-01-02 already appears on line 2."]}


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("", {"file": ["The file is empty."]}),
        ("\n \n", {"file": ["The file is empty."]}),
        ("currency,date,rate\n", {"file": ["The file has no rates."]}),
        ("USD,2026-01-02,1.08\n",
         {"line 1": ["The first line must name the columns: currency, date, rate."]}),
        ("currency,day,rate\nUSD,2026-01-02,1\n",
         {"line 1": ["The first line must name the columns: currency, date, rate."]}),
    ],
)  # fmt: skip
def test_files_without_rates_are_refused(people, text, errors):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        exchange_rates_import_csv(actor=people["mia"], text=text)
    assert info.value.message_dict == errors


def test_many_bad_lines_are_summed_up(people):
    text = "currency,date,rate\n" + "".join(f"USD,2026-01-{d:02},x\n" for d in range(1, 31)) * 4
    with nothing_changed(), pytest.raises(ValidationError) as info:
        exchange_rates_import_csv(actor=people["mia"], text=text)
    errors = info.value.message_dict
    assert len([k for k in errors if k.startswith("line ")]) == 100
    assert errors["file"] == ["20 more lines have errors."]


def test_a_file_over_the_limit_is_refused_before_reading_it(people):
    big = io.BytesIO(b"currency,date,rate\n" + b"x" * CSV_MAX_BYTES)
    with nothing_changed(), pytest.raises(ImportTooLarge) as info:
        exchange_rates_import_csv(actor=people["mia"], file=big)
    assert (info.value.status, info.value.code) == (413, "too_large")


def test_a_large_import_is_written_in_bulk(people, django_assert_max_num_queries):
    start = dt.date(2000, 1, 1)
    lines = [
        f"{code},{(start + dt.timedelta(days=d)).isoformat()},{1 + d / 10000:.4f}"
        for code in ("USD", "GBP", "CHF")
        for d in range(2000)
    ]
    text = "currency,date,rate\n" + "\n".join(lines)
    # In bulk, not row by row: the stored rates, insert batches (PostgreSQL 1000 rows; SQLite
    # fewer, its statements take at most 999 parameters), the audit event.
    with django_assert_max_num_queries(45):
        counts = exchange_rates_import_csv(actor=people["mia"], text=text)
    assert counts == ImportCounts(created=6000, updated=0, unchanged=0)
    assert ExchangeRate.objects.count() == 6000
    assert ExchangeRate.objects.get(currency="CHF", date=dt.date(2000, 1, 11)).rate == Decimal(
        "1.0010"
    )
