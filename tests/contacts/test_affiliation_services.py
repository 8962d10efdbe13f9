"""Service tests for affiliations: links between people and organisations."""

from __future__ import annotations

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation
from kundenwert.contacts.services import (
    affiliation_create,
    affiliation_delete,
    affiliation_update,
)
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from tests.contacts.factories import org, person
from tests.core.state import nothing_changed, one_event

Verb = AuditEvent.Verb


def primaries(someone) -> list[int]:
    return list(
        Affiliation.objects.filter(person=someone, is_primary=True).values_list(
            "organization_id", flat=True
        )
    )


def test_create_links_and_audits_on_the_person(people):
    anna = people["anna"]
    someone, company = person(anna, "Meier"), org(anna, "Nord GmbH")
    with one_event(Verb.UPDATE) as watch:
        aff = affiliation_create(
            actor=anna,
            person_id=someone.pk,
            organization_id=company.pk,
            role=" CFO ",
            is_primary=True,
        )
    stored = Affiliation.objects.get(pk=aff.pk)
    assert (stored.role, stored.is_primary, stored.version) == ("CFO", True, 1)
    (event,) = watch.events
    assert (event.actor, event.target_type, event.target_id) == (anna, "person", str(someone.pk))
    assert event.changes == {
        "affiliations": [None, {"organization": company.pk, "role": "CFO", "is_primary": True}]
    }


def test_a_pair_is_linked_only_once(people):
    anna = people["anna"]
    someone, company = person(anna, "Meier"), org(anna, "Nord GmbH")
    affiliation_create(actor=anna, person_id=someone.pk, organization_id=company.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        affiliation_create(actor=anna, person_id=someone.pk, organization_id=company.pk, role="x")


def test_a_new_primary_demotes_the_old_one(people):
    anna = people["anna"]
    someone = person(anna, "Meier")
    first, second, third = org(anna, "Eins"), org(anna, "Zwei"), org(anna, "Drei")
    a1 = affiliation_create(
        actor=anna, person_id=someone.pk, organization_id=first.pk, is_primary=True
    )
    affiliation_create(actor=anna, person_id=someone.pk, organization_id=second.pk, is_primary=True)
    assert primaries(someone) == [second.pk]
    a3 = affiliation_create(actor=anna, person_id=someone.pk, organization_id=third.pk)
    assert primaries(someone) == [second.pk]
    affiliation_update(actor=anna, affiliation_id=a1.pk, data={"is_primary": True})
    assert primaries(someone) == [first.pk]
    affiliation_update(actor=anna, affiliation_id=a3.pk, data={"is_primary": True})
    assert primaries(someone) == [third.pk]
    affiliation_update(actor=anna, affiliation_id=a3.pk, data={"is_primary": False})
    assert primaries(someone) == []


def test_primaries_of_different_people_do_not_interfere(people):
    anna = people["anna"]
    company = org(anna, "Nord GmbH")
    p1, p2 = person(anna, "Eins"), person(anna, "Zwei")
    affiliation_create(actor=anna, person_id=p1.pk, organization_id=company.pk, is_primary=True)
    affiliation_create(actor=anna, person_id=p2.pk, organization_id=company.pk, is_primary=True)
    assert primaries(p1) == primaries(p2) == [company.pk]


def test_update_changes_role_bumps_version_and_noop_is_silent(people):
    anna = people["anna"]
    someone, company = person(anna, "Meier"), org(anna, "Nord GmbH")
    aff = affiliation_create(
        actor=anna, person_id=someone.pk, organization_id=company.pk, role="CFO"
    )
    with one_event(Verb.UPDATE) as watch:
        affiliation_update(
            actor=anna, affiliation_id=aff.pk, data={"role": "CEO"}, expected_version=1
        )
    assert watch.events[0].changes == {f"affiliation {company.pk}.role": ["CFO", "CEO"]}
    assert Affiliation.objects.get(pk=aff.pk).version == 2
    with nothing_changed():
        affiliation_update(actor=anna, affiliation_id=aff.pk, data={"role": "CEO "})
    with nothing_changed(), pytest.raises(PreconditionFailed):
        affiliation_update(
            actor=anna, affiliation_id=aff.pk, data={"role": "x"}, expected_version=1
        )
    with nothing_changed(), pytest.raises(ValidationError) as info:
        affiliation_update(actor=anna, affiliation_id=aff.pk, data={"organization_id": 1})
    assert set(info.value.message_dict) == {"organization_id"}


def test_linking_to_an_invisible_organisation_is_a_field_error(people):
    someone = person(people["anna"], "Meier")
    hidden = org(people["ben"], "Süd GmbH")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        affiliation_create(actor=people["anna"], person_id=someone.pk, organization_id=hidden.pk)
    assert set(info.value.message_dict) == {"organization_id"}


def test_another_teams_person_or_link_is_not_found(people):
    ben = people["ben"]
    someone, company = person(ben, "Süd"), org(ben, "Süd GmbH")
    aff = affiliation_create(actor=ben, person_id=someone.pk, organization_id=company.pk)
    mine = org(people["anna"], "Nord GmbH")
    with nothing_changed(), pytest.raises(NotFound):
        affiliation_create(actor=people["anna"], person_id=someone.pk, organization_id=mine.pk)
    with nothing_changed(), pytest.raises(NotFound):
        affiliation_update(actor=people["anna"], affiliation_id=aff.pk, data={"role": "x"})
    with nothing_changed(), pytest.raises(NotFound):
        affiliation_delete(actor=people["anna"], affiliation_id=aff.pk)


@pytest.mark.parametrize("who", ["carl", "sam", "max", "vera"])
def test_links_need_edit_on_the_person(people, who):
    anna = people["anna"]
    someone, company = person(anna, "Meier"), org(anna, "Nord GmbH")
    other = org(anna, "Zweite GmbH")
    aff = affiliation_create(actor=anna, person_id=someone.pk, organization_id=company.pk)
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        affiliation_create(actor=people[who], person_id=someone.pk, organization_id=other.pk)
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        affiliation_update(actor=people[who], affiliation_id=aff.pk, data={"role": "x"})
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        affiliation_delete(actor=people[who], affiliation_id=aff.pk)


def test_delete_removes_the_link_and_audits(people):
    anna = people["anna"]
    someone, company = person(anna, "Meier"), org(anna, "Nord GmbH")
    aff = affiliation_create(
        actor=anna, person_id=someone.pk, organization_id=company.pk, role="CFO"
    )
    with one_event(Verb.UPDATE) as watch:
        affiliation_delete(actor=people["mia"], affiliation_id=aff.pk)
    assert Affiliation.objects.count() == 0
    assert watch.events[0].changes == {
        "affiliations": [{"organization": company.pk, "role": "CFO", "is_primary": False}, None]
    }
