"""Tax rates: the German presets, adding and changing rates, one default, archiving."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import TaxRate
from kundenwert.catalog.services import (
    tax_rate_archive,
    tax_rate_create,
    tax_rate_restore,
    tax_rate_update,
)
from kundenwert.core.errors import (
    ConflictError,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from tests.catalog.factories import preset, product
from tests.catalog.state import nothing_changed
from tests.core.state import events_since, last_event_id, one_event

Verb = AuditEvent.Verb


def test_the_migration_ships_the_german_rates_with_19_percent_as_default(db):
    rates = {r.preset: (r.rate, r.is_default) for r in TaxRate.objects.all()}
    assert rates == {
        "standard": (Decimal("19.00"), True),
        "reduced": (Decimal("7.00"), False),
        "exempt": (Decimal("0.00"), False),
    }


def test_preset_names_are_translated_at_display_until_renamed(people):
    standard = preset("standard")
    with translation.override("en"):
        assert str(standard) == "Standard rate (19 %)"
    # The German text comes from the catalogue once it is translated; until then the source.
    with translation.override("de"):
        assert standard.display_name == translation.gettext("Standard rate (19 %)")
    tax_rate_update(actor=people["admin"], tax_rate_id=standard.pk, data={"name": "Normal"})
    with translation.override("de"):
        assert TaxRate.objects.get(pk=standard.pk).display_name == "Normal"


def test_create_a_rate_and_audit_it(people):
    with one_event(Verb.CREATE) as watch:
        created = tax_rate_create(actor=people["mia"], data={"name": "Land- und Forst 5,5 %",
                                                             "rate": "5.5"})  # fmt: skip
    stored = TaxRate.objects.get(pk=created.pk)
    assert (stored.rate, stored.is_default, stored.preset) == (Decimal("5.50"), False, "")
    assert watch.events[0].changes == {
        "name": [None, "Land- und Forst 5,5 %"],
        "rate": [None, "5.50"],
        "is_default": [None, False],
    }


def test_a_new_default_replaces_the_old_one_and_both_are_audited(people):
    mark = last_event_id()
    created = tax_rate_create(
        actor=people["admin"], data={"name": "Neu", "rate": "20", "is_default": True}
    )
    assert list(TaxRate.objects.filter(is_default=True)) == [created]
    events = events_since(mark)
    assert [(e.verb, e.target_id) for e in events] == [
        (Verb.UPDATE, str(preset("standard").pk)),
        (Verb.CREATE, str(created.pk)),
    ]
    assert events[0].changes == {"is_default": [True, False]}
    assert preset("standard").version == 2


def test_the_default_cannot_simply_be_switched_off(people):
    standard = preset("standard")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        tax_rate_update(actor=people["admin"], tax_rate_id=standard.pk, data={"is_default": False})
    assert set(info.value.message_dict) == {"is_default"}


def test_the_database_allows_one_default_only(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(name="Zweiter", rate=Decimal(1), is_default=True)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": "X", "rate": "-1"}, {"rate"}),
        ({"name": "X", "rate": "100.01"}, {"rate"}),
        ({"name": "X", "rate": "7.123"}, {"rate"}),
        ({"name": "X", "rate": 7.5}, {"rate"}),
        ({"name": "X"}, {"rate"}),
        ({"name": "", "rate": "7"}, {"name"}),
        ({"name": "reduced rate (7 %)", "rate": "7"}, {"name"}),
        ({"name": "X", "rate": "7", "is_default": "yes"}, {"is_default"}),
        ({"name": "X", "rate": "7", "preset": "standard"}, {"preset"}),
    ],
)
def test_create_rejects_bad_input(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        tax_rate_create(actor=people["admin"], data=data)
    assert set(info.value.message_dict) == fields


def test_the_database_refuses_a_rate_over_100(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(name="Wucher", rate=Decimal("100.01"))


@pytest.mark.parametrize("who", ["anna", "vera"])
def test_only_catalogue_editors_may_create_or_change(people, who):
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        tax_rate_create(actor=people[who], data={"name": "X", "rate": "1"})
    assert watch.events[0].changes == {"action": "product.edit"}
    assert watch.events[0].target_type == "taxrate"
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        tax_rate_update(actor=people[who], tax_rate_id=preset("reduced").pk, data={"rate": "8"})
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        tax_rate_archive(actor=people[who], tax_rate_id=preset("reduced").pk)


def test_update_with_a_stale_version_is_refused(people):
    reduced = preset("reduced")
    with nothing_changed(), pytest.raises(PreconditionFailed):
        tax_rate_update(
            actor=people["mia"], tax_rate_id=reduced.pk, data={"rate": "8"}, expected_version=7
        )


def test_archive_keeps_products_but_refuses_the_default(people):
    reduced = preset("reduced")
    book = product(people["mia"], "BUCH", tax_rate_id=reduced.pk)
    with one_event(Verb.ARCHIVE):
        tax_rate_archive(actor=people["mia"], tax_rate_id=reduced.pk)
    book.refresh_from_db()
    assert book.tax_rate_id == reduced.pk
    with nothing_changed(), pytest.raises(ConflictError) as info:
        tax_rate_archive(actor=people["mia"], tax_rate_id=preset("standard").pk)
    assert info.value.code == "default_tax_rate"
    with one_event(Verb.RESTORE):
        tax_rate_restore(actor=people["mia"], tax_rate_id=reduced.pk)
    assert preset("reduced").archived_at is None


@pytest.mark.parametrize(
    ("data", "fields"),
    [({"rate": "101"}, {"rate"}), ({"name": ""}, {"name"}),
     ({"name": "Tax-exempt (0 %)"}, {"name"}), ({"rate": "x", "colour": 1}, {"colour"})],
)  # fmt: skip
def test_update_rejects_bad_input_and_writes_nothing(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        tax_rate_update(actor=people["mia"], tax_rate_id=preset("reduced").pk, data=data)
    assert set(info.value.message_dict) == fields


def test_restore_needs_catalogue_edit_too(people):
    reduced = preset("reduced")
    tax_rate_archive(actor=people["mia"], tax_rate_id=reduced.pk)
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        tax_rate_restore(actor=people["anna"], tax_rate_id=reduced.pk)
    assert watch.events[0].changes == {"action": "product.delete"}
