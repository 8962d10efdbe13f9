"""Price lists and prices: validity, one default per currency, setting and removing prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import Price, PriceList
from kundenwert.catalog.services import (
    price_list_archive,
    price_list_create,
    price_list_restore,
    price_list_update,
    price_remove,
    price_set,
    product_archive,
)
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from tests.catalog.factories import price_list, priced, product
from tests.catalog.state import nothing_changed
from tests.core.state import events_since, last_event_id, one_event

Verb = AuditEvent.Verb
JAN = dt.date(2026, 1, 1)


# --- price lists ------------------------------------------------------------------------------


def test_create_a_price_list_and_audit_it(people):
    with one_event(Verb.CREATE) as watch:
        created = price_list_create(
            actor=people["mia"],
            data={"name": "Liste 2026", "currency": "eur", "valid_from": "2026-01-01",
                  "valid_until": dt.date(2026, 12, 31), "is_default": True},
        )  # fmt: skip
    stored = PriceList.objects.get(pk=created.pk)
    assert (stored.currency, stored.valid_from, stored.valid_until, stored.is_default) == (
        "EUR", JAN, dt.date(2026, 12, 31), True,
    )  # fmt: skip
    assert str(stored) == "Liste 2026 (EUR)"
    assert watch.events[0].changes["valid_from"] == [None, "2026-01-01"]


def test_valid_from_defaults_to_today(people):
    created = price_list_create(actor=people["mia"], data={"name": "Heute", "currency": "USD"})
    assert created.valid_from == timezone.localdate()
    assert created.valid_until is None


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": "X", "currency": "EUR", "valid_from": "2026-02-01", "valid_until": "2026-01-31"},
         {"valid_until"}),
        ({"name": "X", "currency": "XXY"}, {"currency"}),
        ({"name": "X", "currency": 978}, {"currency"}),
        ({"name": "X"}, {"currency"}),
        ({"name": "", "currency": "EUR"}, {"name"}),
        ({"name": "X", "currency": "EUR", "valid_from": "01.02.2026"}, {"valid_from"}),
        ({"name": "X", "currency": "EUR", "valid_from": None}, {"valid_from"}),
        ({"name": "X", "currency": "EUR", "is_default": 1}, {"is_default"}),
        ({"name": "X", "currency": "EUR", "discount": "5"}, {"discount"}),
    ],
)  # fmt: skip
def test_create_rejects_bad_input(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_list_create(actor=people["mia"], data=data)
    assert set(info.value.message_dict) == fields


def test_names_are_unique_whatever_the_case(people):
    price_list(people["mia"], "Partner")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_list(people["mia"], "PARTNER", "USD")
    assert set(info.value.message_dict) == {"name"}


def test_the_database_checks_validity_and_one_default_per_currency(people):
    price_list(people["mia"], "A", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceList.objects.create(name="B", currency="EUR", valid_from=JAN, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceList.objects.create(
            name="C", currency="EUR", valid_from=JAN, valid_until=dt.date(2025, 12, 31)
        )
    PriceList.objects.create(name="D", currency="USD", valid_from=JAN, is_default=True)


def test_a_new_default_replaces_the_old_one_of_the_same_currency_only(people):
    old = price_list(people["mia"], "Alt", is_default=True)
    usd = price_list(people["mia"], "Dollar", "USD", is_default=True)
    mark = last_event_id()
    new = price_list(people["mia"], "Neu", is_default=True)
    assert set(PriceList.objects.filter(is_default=True)) == {new, usd}
    assert [(e.verb, e.target_id) for e in events_since(mark)] == [
        (Verb.UPDATE, str(old.pk)),
        (Verb.CREATE, str(new.pk)),
    ]


def test_update_refuses_a_stale_version_and_a_currency_change_once_priced(people):
    items = price_list(people["mia"], "Liste")
    with nothing_changed(), pytest.raises(PreconditionFailed):
        price_list_update(
            actor=people["mia"], price_list_id=items.pk, data={"name": "X"}, expected_version=9
        )
    price_list_update(actor=people["mia"], price_list_id=items.pk, data={"currency": "CHF"})
    priced(people["mia"], items, product(people["mia"], "P-1"), "10")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_list_update(actor=people["mia"], price_list_id=items.pk, data={"currency": "EUR"})
    assert set(info.value.message_dict) == {"currency"}


def test_archiving_a_default_list_drops_the_default_and_restoring_keeps_it_off(people):
    items = price_list(people["mia"], "Liste", is_default=True)
    with one_event(Verb.ARCHIVE) as watch:
        price_list_archive(actor=people["mia"], price_list_id=items.pk)
    items.refresh_from_db()
    assert items.archived_at is not None and items.is_default is False
    assert watch.events[0].changes["is_default"] == [True, False]
    with nothing_changed(), pytest.raises(ConflictError):
        price_list_update(actor=people["mia"], price_list_id=items.pk, data={"name": "X"})
    with one_event(Verb.RESTORE):
        price_list_restore(actor=people["mia"], price_list_id=items.pk)
    items.refresh_from_db()
    assert items.archived_at is None and items.is_default is False


@pytest.mark.parametrize("who", ["anna", "vera", "ben"])
def test_price_list_writes_need_catalogue_edit(people, who):
    items = price_list(people["mia"], "Liste")
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        price_list_create(actor=people[who], data={"name": "X", "currency": "EUR"})
    assert (watch.events[0].target_type, watch.events[0].changes) == (
        "pricelist", {"action": "product.edit"},
    )  # fmt: skip
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        price_list_update(actor=people[who], price_list_id=items.pk, data={"name": "X"})
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        price_list_archive(actor=people[who], price_list_id=items.pk)
    price_list_archive(actor=people["mia"], price_list_id=items.pk)
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        price_list_restore(actor=people[who], price_list_id=items.pk)


# --- prices ---------------------------------------------------------------------------------


def test_set_a_price_then_change_it_with_audit_on_the_list(people):
    mia = people["mia"]
    items = price_list(mia, "Liste")
    item = product(mia, "P-1")
    with one_event(Verb.UPDATE) as watch:
        price, created = price_set(
            actor=mia, price_list_id=items.pk, product_id=item.pk, unit_price="99.9"
        )
    assert created is True
    assert Price.objects.get(pk=price.pk).unit_price == Decimal("99.9000")
    event = watch.events[0]
    assert (event.target_type, event.target_id) == ("pricelist", str(items.pk))
    assert event.changes == {"price P-1": [None, "99.9000"]}
    with one_event(Verb.UPDATE) as watch:
        price, created = price_set(
            actor=mia, price_list_id=items.pk, product_id=item.pk, unit_price=Decimal("0.0125")
        )
    assert created is False and price.version == 2
    assert watch.events[0].changes == {"price P-1": ["99.9000", "0.0125"]}
    with nothing_changed():  # the same price again changes nothing
        price_set(actor=mia, price_list_id=items.pk, product_id=item.pk, unit_price="0.01250")
    assert Price.objects.count() == 1


@pytest.mark.parametrize(
    ("unit_price", "message"),
    [
        ("-0.01", "The unit price cannot be negative."),
        ("1.00001", "Ensure that there are no more than 4 decimal places."),
        ("1e20", "Ensure that there are no more than 18 digits in total."),
        (1.5, "Enter the number as a decimal string, e.g. “12.50”."),
        ("Infinity", "Enter a finite number."),
        ("", "Enter a number."),
        (None, "Enter a valid value."),
    ],
)
def test_bad_prices_are_refused_with_a_field_message(people, unit_price, message):
    items = price_list(people["mia"], "Liste")
    item = product(people["mia"], "P-1")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_set(actor=people["mia"], price_list_id=items.pk, product_id=item.pk,
                  unit_price=unit_price)  # fmt: skip
    assert info.value.message_dict == {"unit_price": [message]}


def test_the_database_refuses_a_negative_price_and_a_second_price_per_list(people):
    items = price_list(people["mia"], "Liste")
    item = product(people["mia"], "P-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(price_list=items, product=item, unit_price=Decimal("-1"))
    Price.objects.create(price_list=items, product=item, unit_price=Decimal(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(price_list=items, product=item, unit_price=Decimal(2))


def test_prices_need_a_live_list_and_product(people):
    mia = people["mia"]
    items = price_list(mia, "Liste")
    item = product(mia, "P-1")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_set(actor=mia, price_list_id=items.pk, product_id=999_999, unit_price="1")
    assert set(info.value.message_dict) == {"product_id"}
    with nothing_changed(), pytest.raises(NotFound):
        price_set(actor=mia, price_list_id=999_999, product_id=item.pk, unit_price="1")
    product_archive(actor=mia, product_id=item.pk)
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_set(actor=mia, price_list_id=items.pk, product_id=item.pk, unit_price="1")
    assert info.value.message_dict == {"product_id": ["This product is archived."]}
    price_list_archive(actor=mia, price_list_id=items.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        price_set(actor=mia, price_list_id=items.pk, product_id=item.pk, unit_price="1")


def test_remove_a_price(people):
    mia = people["mia"]
    items = price_list(mia, "Liste")
    item = product(mia, "P-1")
    priced(mia, items, item, "5")
    with one_event(Verb.UPDATE) as watch:
        price_remove(actor=mia, price_list_id=items.pk, product_id=item.pk)
    assert not Price.objects.exists()
    assert watch.events[0].changes == {"price P-1": ["5.0000", None]}
    with nothing_changed(), pytest.raises(NotFound):
        price_remove(actor=mia, price_list_id=items.pk, product_id=item.pk)


@pytest.mark.parametrize("who", ["anna", "vera"])
def test_prices_need_catalogue_edit(people, who):
    items = price_list(people["mia"], "Liste")
    item = product(people["mia"], "P-1")
    priced(people["mia"], items, item, "5")
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        price_set(actor=people[who], price_list_id=items.pk, product_id=item.pk, unit_price="1")
    assert watch.events[0].target_id == str(items.pk)
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        price_remove(actor=people[who], price_list_id=items.pk, product_id=item.pk)


@pytest.mark.parametrize(
    ("data", "fields"),
    [({"valid_until": "2025-12-31"}, {"valid_until"}), ({"currency": "EURO"}, {"currency"}),
     ({"name": " "}, {"name"}), ({"valid_from": None}, {"valid_from"})],
)  # fmt: skip
def test_update_rejects_bad_input_and_writes_nothing(people, data, fields):
    items = price_list(people["mia"], "Liste")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        price_list_update(actor=people["mia"], price_list_id=items.pk, data=data)
    assert set(info.value.message_dict) == fields
