"""Service tests for products: create, update, archive, restore; permissions and audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import Product
from kundenwert.catalog.services import (
    product_archive,
    product_create,
    product_restore,
    product_update,
    tax_rate_archive,
    tax_rate_create,
)
from kundenwert.core.context import acting_through
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from tests.catalog.factories import preset, product
from tests.catalog.state import nothing_changed
from tests.core.state import one_event

Verb = AuditEvent.Verb


# --- create -------------------------------------------------------------------------------------


def test_create_normalises_stores_indexes_and_audits(people):
    mia = people["mia"]
    with acting_through("api"), one_event(Verb.CREATE) as watch:
        created = product_create(
            actor=mia,
            data={
                "sku": " WEB-Hosting-1 ",
                "name_de": " Webhosting Basis ",
                "name_en": "Web hosting basic",
                "description_de": "Ein Jahr",
                "unit": "month",
                "cost_price": "3.5",
                "cost_currency": "usd",
                "is_recurring": True,
                "billing_period": "month",
            },
        )
    stored = Product.objects.get(pk=created.pk)
    assert stored.sku == "WEB-Hosting-1"
    assert stored.name_de == "Webhosting Basis"
    assert stored.tax_rate == preset("standard")  # the default rate
    assert stored.cost_price == Decimal("3.5000")
    assert stored.cost_currency == "USD"
    assert (stored.is_recurring, stored.billing_period) == (True, "month")
    assert stored.version == 1 and stored.archived_at is None
    assert stored.search_text == "web-hosting-1 webhosting basis web hosting basic"
    (event,) = watch.events
    assert (event.actor, event.source) == (mia, "api")
    assert (event.target_type, event.target_id) == ("product", str(stored.pk))
    assert event.changes["sku"] == [None, "WEB-Hosting-1"]
    assert event.changes["cost_price"] == [None, "3.5000"]
    assert event.changes["tax_rate"] == [None, preset("standard").pk]


def test_str_is_sku_and_name_in_the_active_language(people):
    item = product(people["admin"], "A-1", "Beratung", name_en="Consulting")
    only_de = product(people["admin"], "A-2", "Nur deutsch")
    with translation.override("en"):
        assert str(item) == "A-1 · Consulting"
        assert str(only_de) == "A-2 · Nur deutsch"
    with translation.override("de"):
        assert str(item) == "A-1 · Beratung"


def test_create_with_an_explicit_tax_rate_and_cost_in_the_base_currency(people):
    created = product(people["admin"], "BOOK-1", tax_rate_id=preset("reduced").pk, cost_price=2)
    assert created.tax_rate == preset("reduced")
    assert created.cost_currency == "EUR"
    assert created.cost_price == Decimal("2.0000")


@pytest.mark.parametrize("who", ["anna", "vera", "sam", "max"])
def test_roles_without_catalogue_edit_cannot_create(people, who):
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        product_create(actor=people[who], data={"sku": "NOPE", "name_de": "Nein"})
    (event,) = watch.events
    assert event.actor == people[who]
    assert event.target_type == "product"
    assert event.changes == {"action": "product.edit"}


def test_permission_is_checked_before_input(people):
    """A refused user learns nothing about what would have been wrong with the data."""
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        product_create(actor=people["anna"], data={"sku": "", "colour": "red"})


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"sku": "", "name_de": "X"}, {"sku"}),
        ({"sku": "A B", "name_de": "X"}, {"sku"}),
        ({"sku": "-A", "name_de": "X"}, {"sku"}),
        ({"sku": "A" * 65, "name_de": "X"}, {"sku"}),
        ({"sku": "A1"}, {"name_de"}),
        ({"sku": "A1", "name_de": "  ", "name_en": ""}, {"name_de"}),
        ({"sku": "A1", "name_de": "X", "unit": ""}, {"unit"}),
        ({"sku": "A1", "name_de": "X", "cost_price": "-1"}, {"cost_price"}),
        ({"sku": "A1", "name_de": "X", "cost_price": "1.23456"}, {"cost_price"}),
        ({"sku": "A1", "name_de": "X", "cost_price": 1.5}, {"cost_price"}),
        ({"sku": "A1", "name_de": "X", "cost_price": "NaN"}, {"cost_price"}),
        ({"sku": "A1", "name_de": "X", "cost_price": "1e30"}, {"cost_price"}),
        ({"sku": "A1", "name_de": "X", "cost_price": "zwölf"}, {"cost_price"}),
        ({"sku": "A1", "name_de": "X", "cost_currency": "XYZ"}, {"cost_currency"}),
        ({"sku": "A1", "name_de": "X", "tax_rate_id": 999_999}, {"tax_rate_id"}),
        ({"sku": "A1", "name_de": "X", "tax_rate_id": True}, {"tax_rate_id"}),
        ({"sku": "A1", "name_de": "X", "is_recurring": True}, {"billing_period"}),
        ({"sku": "A1", "name_de": "X", "billing_period": "month"}, {"billing_period"}),
        ({"sku": "A1", "name_de": "X", "is_recurring": True, "billing_period": "week"},
         {"billing_period"}),
        ({"sku": "A1", "name_de": "X", "is_recurring": "yes"}, {"is_recurring"}),
        ({"sku": "A1", "name_de": "X", "colour": "red"}, {"colour"}),
        ({"sku": "", "name_de": "", "cost_price": "-1", "cost_currency": "??"},
         {"sku", "name_de", "cost_price", "cost_currency"}),
    ],
)  # fmt: skip
def test_create_rejects_bad_input_with_field_messages_and_writes_nothing(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        product_create(actor=people["mia"], data=data)
    assert set(info.value.message_dict) == fields
    assert all(info.value.message_dict[f] for f in fields)


def test_sku_is_unique_whatever_the_case(people):
    product(people["mia"], "Abo-1")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        product(people["mia"], "ABO-1")
    assert info.value.message_dict == {"sku": ["A product with this SKU already exists."]}


def test_the_database_refuses_a_duplicate_sku_too(people):
    product(people["mia"], "Abo-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(sku="abo-1", name_de="x", tax_rate=preset("standard"))


def test_an_archived_tax_rate_cannot_be_chosen(people):
    old = tax_rate_create(actor=people["admin"], data={"name": "Alt 16 %", "rate": "16"})
    tax_rate_archive(actor=people["admin"], tax_rate_id=old.pk)
    with nothing_changed(), pytest.raises(ValidationError) as info:
        product(people["mia"], "X-1", tax_rate_id=old.pk)
    assert info.value.message_dict == {"tax_rate_id": ["This tax rate is archived."]}


# --- update -------------------------------------------------------------------------------------


def test_update_changes_fields_bumps_version_and_audits_the_diff(people):
    item = product(people["mia"], "S-1", "Support", cost_price="10")
    with one_event(Verb.UPDATE) as watch:
        updated = product_update(
            actor=people["admin"],
            product_id=item.pk,
            data={"name_en": "Support", "cost_price": Decimal("12.50"), "unit": "hour"},
            expected_version=1,
        )
    stored = Product.objects.get(pk=item.pk)
    assert stored.version == 2 == updated.version
    assert (stored.name_en, stored.cost_price, stored.unit) == ("Support", Decimal("12.5"), "hour")
    assert stored.search_text == "s-1 support support"
    (event,) = watch.events
    assert event.changes == {
        "name_en": ["", "Support"],
        "cost_price": ["10.0000", "12.5000"],
        "unit": ["piece", "hour"],
    }


def test_update_with_equal_values_writes_nothing(people):
    item = product(people["mia"], "S-1", "Support", cost_price="10")
    with nothing_changed():
        product_update(
            actor=people["mia"], product_id=item.pk, data={"cost_price": "10.00", "sku": "S-1"}
        )


def test_turning_a_subscription_into_a_one_off_product_drops_its_period(people):
    item = product(people["mia"], "ABO", "Abo", is_recurring=True, billing_period="year")
    product_update(actor=people["mia"], product_id=item.pk, data={"is_recurring": False})
    stored = Product.objects.get(pk=item.pk)
    assert (stored.is_recurring, stored.billing_period) == (False, "")


def test_update_with_a_stale_version_is_refused(people):
    item = product(people["mia"], "S-1")
    product_update(actor=people["mia"], product_id=item.pk, data={"name_en": "One"})
    with nothing_changed(), pytest.raises(PreconditionFailed):
        product_update(
            actor=people["mia"], product_id=item.pk, data={"name_en": "Two"}, expected_version=1
        )


def test_update_bad_input_writes_nothing(people):
    item = product(people["mia"], "S-1")
    other = product(people["mia"], "S-2")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        product_update(
            actor=people["mia"], product_id=item.pk, data={"sku": "s-2", "cost_price": "-1"}
        )
    assert set(info.value.message_dict) == {"sku", "cost_price"}
    assert other.pk


def test_sales_may_not_update_and_the_denial_is_recorded(people):
    item = product(people["mia"], "S-1")
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        product_update(actor=people["anna"], product_id=item.pk, data={"name_de": "Meins"})
    (event,) = watch.events
    assert (event.target_type, event.target_id) == ("product", str(item.pk))
    assert event.changes == {"action": "product.edit"}


def test_a_user_without_catalogue_read_gets_not_found(people, outsider):
    item = product(people["mia"], "S-1")
    with nothing_changed(), pytest.raises(NotFound):
        product_update(actor=outsider, product_id=item.pk, data={"name_de": "x"})
    with nothing_changed(), pytest.raises(NotFound):
        product_archive(actor=outsider, product_id=item.pk)


def test_an_unknown_id_is_not_found(people):
    with nothing_changed(), pytest.raises(NotFound):
        product_update(actor=people["admin"], product_id=999_999, data={"name_de": "x"})


# --- archive and restore ------------------------------------------------------------------------


def test_archive_and_restore_round_trip_with_audit(people):
    item = product(people["mia"], "S-1")
    with one_event(Verb.ARCHIVE):
        archived = product_archive(actor=people["mia"], product_id=item.pk)
    assert archived.archived_at is not None and archived.version == 2
    with nothing_changed():  # archiving twice is harmless
        product_archive(actor=people["mia"], product_id=item.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        product_update(actor=people["mia"], product_id=item.pk, data={"name_de": "x"})
    with one_event(Verb.RESTORE):
        restored = product_restore(actor=people["mia"], product_id=item.pk)
    assert restored.archived_at is None and restored.version == 3


@pytest.mark.parametrize("service", [product_archive, product_restore])
def test_sales_may_not_archive_or_restore(people, service):
    item = product(people["mia"], "S-1")
    if service is product_restore:
        product_archive(actor=people["mia"], product_id=item.pk)
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        service(actor=people["anna"], product_id=item.pk)
    assert watch.events[0].changes == {"action": "product.delete"}
