"""Input the services must refuse cleanly, and search terms written the way people type them."""

from __future__ import annotations

import pytest

from kundenwert.activities.selectors import timeline_for_organization
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.selectors import organization_list, person_list
from kundenwert.contacts.services import (
    affiliation_create,
    organization_archive,
    organization_create,
    organization_update,
    person_archive,
    person_create,
)
from kundenwert.core.errors import ConflictError, PermissionDenied, ValidationError
from kundenwert.core.search import normalize_term
from tests.core.state import nothing_changed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("website", "stored", "domain"),
    [
        ("acme.de", "https://acme.de", "acme.de"),
        ("http://www.Acme.de/kontakt", "http://www.Acme.de/kontakt", "acme.de"),
    ],
)
def test_website_is_stored_as_url_with_its_domain(people, website, stored, domain):
    org = organization_create(actor=people["anna"], data={"name": "Acme", "website": website})
    assert (org.website, org.domain) == (stored, domain)


@pytest.mark.parametrize("website", ["javascript:alert(1)", "http://[::1", "ftp://files.acme.de"])
def test_unsafe_or_broken_websites_are_refused(people, website):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_create(actor=people["anna"], data={"name": "Acme", "website": website})
    assert list(info.value.message_dict) == ["website"]


def test_unknown_country_code_is_refused(people):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_create(
            actor=people["anna"], data={"name": "Acme", "billing_address": {"country": "XX"}}
        )
    assert list(info.value.message_dict) == ["billing_address"]


@pytest.mark.parametrize(
    "data",
    [
        {"vat_id": 12345},
        {"emails": "info@acme.de"},
        {"legal_form": ["GmbH"]},
        {"owner_id": "anna"},
        {"billing_address": "Berlin"},
    ],
)
def test_wrong_types_from_a_careless_caller_are_field_errors_not_crashes(people, data):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_create(actor=people["anna"], data={"name": "Acme", **data})
    assert list(info.value.message_dict) == [next(iter(data))]


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("030 1234-567", "301234567"),
        ("(030) 123 4567", "301234567"),
        ("+49 30 1234567", "49301234567"),
        ("0049 30 1234567", "49301234567"),
        ("DE 136 695 976", "de136695976"),
        ("de-136.695.976", "de136695976"),
        ("Müller  GmbH", "müller gmbh"),
    ],
)
def test_search_terms_are_brought_into_stored_form(typed, normalized):
    assert normalize_term(typed) == normalized


def test_search_finds_phones_and_vat_ids_as_people_write_them(people):
    org = organization_create(
        actor=people["anna"],
        data={"name": "Muster GmbH", "vat_id": "DE136695976", "phones": ["+49 30 1234567"]},
    )
    organization_create(actor=people["anna"], data={"name": "Other AG", "phones": ["089 765432"]})
    for term in ("030 123 4567", "DE 136 695 976", "+49 30 12345"):
        page = organization_list(viewer=people["anna"], params={"q": term})
        assert [o.pk for o in page.rows] == [org.pk], term
    person = person_create(
        actor=people["anna"], data={"last_name": "Klein", "phones": ["0171 2345678"]}
    )
    assert [p.pk for p in person_list(viewer=people["anna"], params={"q": "0171 234"}).rows] == [
        person.pk
    ]


def test_archived_records_cannot_be_linked(people):
    org = organization_create(actor=people["anna"], data={"name": "Acme"})
    person = person_create(actor=people["anna"], data={"last_name": "Klein"})
    organization_archive(actor=people["anna"], organization_id=org.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        affiliation_create(actor=people["anna"], person_id=person.pk, organization_id=org.pk)
    other = organization_create(actor=people["anna"], data={"name": "Beta"})
    person_archive(actor=people["anna"], person_id=person.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        affiliation_create(actor=people["anna"], person_id=person.pk, organization_id=other.pk)


def test_timeline_shows_changes_but_not_refused_attempts(people):
    org = organization_create(actor=people["anna"], data={"name": "Acme"})
    with pytest.raises(PermissionDenied):
        organization_update(actor=people["vera"], organization_id=org.pk, data={"name": "X"})
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.PERMISSION_DENIED).count() == 1
    organization_update(actor=people["anna"], organization_id=org.pk, data={"status": "customer"})
    entries, _cursor = timeline_for_organization(
        viewer=people["anna"], organization_id=org.pk, params={}
    )
    assert [e.event.verb for e in entries] == ["update", "create"]


def test_name_with_legal_form_finds_the_organisation(people):
    org = organization_create(actor=people["anna"], data={"name": "Müller", "legal_form": "GmbH"})
    page = organization_list(viewer=people["anna"], params={"q": "Müller GmbH"})
    assert [o.pk for o in page.rows] == [org.pk]
