"""Service tests for people: create, update, archive, restore, delete."""

from __future__ import annotations

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Person
from kundenwert.contacts.services import (
    affiliation_create,
    person_archive,
    person_create,
    person_delete,
    person_restore,
    person_update,
)
from kundenwert.core.context import acting_through
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


def test_create_normalises_stores_indexes_tags_and_audits(people):
    anna = people["anna"]
    with acting_through("cli"), one_event(Verb.CREATE) as watch:
        created = person_create(
            actor=anna,
            data={
                "salutation": "ms",
                "title": " Dr. ",
                "first_name": " Erika ",
                "last_name": "Mustermann ",
                "emails": ["erika@EXAMPLE.com", "erika@example.COM"],
                "phones": ["0171 2345678", "+44 20 7946 0018"],
                "job_title": "Einkauf",
                "language": "DE",
                "addresses": [{"city": "Köln", "country": "de"}, {}],
                "tags": ["vip"],
            },
        )
    stored = Person.objects.get(pk=created.pk)
    assert (stored.title, stored.first_name, stored.last_name) == ("Dr.", "Erika", "Mustermann")
    assert stored.emails == ["erika@example.com"]
    assert stored.phones == ["+491712345678", "+442079460018"]
    assert stored.language == "de"
    assert stored.addresses == [
        {"street": "", "postal_code": "", "city": "Köln", "region": "", "country": "DE"}
    ]
    assert (stored.owner, stored.team.name, stored.version) == (anna, "Nord", 1)
    assert list(stored.tags.values_list("name", flat=True)) == ["vip"]
    assert stored.search_text == "erika mustermann erika@example.com +491712345678 +442079460018"
    (event,) = watch.events
    assert (event.actor, event.source, event.target_type) == (anna, "cli", "person")
    assert event.target_id == str(stored.pk)
    assert event.changes["last_name"] == [None, "Mustermann"]
    assert event.changes["tags"] == [None, ["vip"]]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"last_name": ""}, {"last_name"}),
        ({"last_name": "X", "emails": ["x@@y"]}, {"emails"}),
        ({"last_name": "X", "phones": ["+49"]}, {"phones"}),
        ({"last_name": "X", "salutation": "sir"}, {"salutation"}),
        ({"last_name": "X", "language": "fr"}, {"language"}),
        ({"last_name": "X", "addresses": {"city": "Bonn"}}, {"addresses"}),
        ({"last_name": "X", "addresses": [{"country": "Germany"}]}, {"addresses"}),
        ({"last_name": "X", "birthday": "1970-01-01"}, {"birthday"}),
        ({"last_name": "X", "owner_id": 31337}, {"owner_id"}),
        ({"last_name": "X", "owner_id": None}, {"owner_id"}),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        person_create(actor=people["anna"], data=data)
    assert set(info.value.message_dict) == fields


@pytest.mark.parametrize("who", ["vera"])
def test_read_only_cannot_create(people, who):
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        person_create(actor=people[who], data={"last_name": "Nope"})
    assert watch.events[0].changes == {"action": "person.edit"}


def test_marketing_creates_and_edits_own_people(people):
    mine = person(people["max"], "Werber")
    person_update(actor=people["max"], person_id=mine.pk, data={"job_title": "CMO"})
    assert Person.objects.get(pk=mine.pk).job_title == "CMO"


def test_update_bumps_version_once_and_noop_changes_nothing(people):
    anna = people["anna"]
    target = person(anna, "Meier", first_name="Hans")
    with one_event(Verb.UPDATE) as watch:
        person_update(
            actor=anna, person_id=target.pk, data={"first_name": "Hanna"}, expected_version=1
        )
    assert watch.events[0].changes == {"first_name": ["Hans", "Hanna"]}
    stored = Person.objects.get(pk=target.pk)
    assert (stored.version, stored.search_text) == (2, "hanna meier")
    with nothing_changed():
        person_update(actor=anna, person_id=target.pk, data={"first_name": "Hanna ", "tags": []})
    assert Person.objects.get(pk=target.pk).version == 2


@pytest.mark.parametrize("who", ["anna", "mia", "admin"])
def test_owner_manager_and_admin_may_update(people, who):
    target = person(people["anna"], "Meier")
    person_update(actor=people[who], person_id=target.pk, data={"job_title": "CEO"})
    assert Person.objects.get(pk=target.pk).job_title == "CEO"


@pytest.mark.parametrize("who", ["carl", "sam", "max", "vera"])
def test_visible_but_not_editable_is_denied_and_audited(people, who):
    target = person(people["anna"], "Meier")
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        person_update(actor=people[who], person_id=target.pk, data={"last_name": "Hack"})
    (event,) = watch.events
    assert (event.actor, event.target_type, event.target_id) == (
        people[who],
        "person",
        str(target.pk),
    )


def test_another_teams_person_is_not_found_for_sales(people):
    target = person(people["anna"], "Meier")
    for call in (
        lambda: person_update(actor=people["ben"], person_id=target.pk, data={"title": "x"}),
        lambda: person_archive(actor=people["ben"], person_id=target.pk),
        lambda: person_restore(actor=people["ben"], person_id=target.pk),
        lambda: person_delete(actor=people["ben"], person_id=target.pk),
    ):
        with nothing_changed(), pytest.raises(NotFound):
            call()


def test_stale_version_is_refused(people):
    target = person(people["anna"], "Meier")
    with nothing_changed(), pytest.raises(PreconditionFailed):
        person_update(
            actor=people["anna"], person_id=target.pk, data={"title": "Dr."}, expected_version=7
        )


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"emails": ["nope"]}, {"emails"}),
        ({"language": "xx"}, {"language"}),
        ({"organizations": [1]}, {"organizations"}),
        ({"owner_id": 0}, {"owner_id"}),
    ],
)
def test_update_rejects_bad_input_and_changes_nothing(people, data, fields):
    target = person(people["anna"], "Meier")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        person_update(actor=people["anna"], person_id=target.pk, data=data)
    assert set(info.value.message_dict) == fields


def test_archive_refuses_updates_and_restore_brings_it_back(people):
    anna = people["anna"]
    target = person(anna, "Meier")
    with one_event(Verb.ARCHIVE):
        person_archive(actor=anna, person_id=target.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        person_update(actor=anna, person_id=target.pk, data={"title": "Dr."})
    with nothing_changed():
        person_archive(actor=anna, person_id=target.pk)
    with one_event(Verb.RESTORE):
        person_restore(actor=anna, person_id=target.pk)
    with nothing_changed():
        person_restore(actor=anna, person_id=target.pk)
    person_update(actor=anna, person_id=target.pk, data={"title": "Dr."})
    assert Person.objects.get(pk=target.pk).version == 4


@pytest.mark.parametrize("who", ["carl", "sam", "max", "vera"])
def test_archive_needs_delete_permission(people, who):
    target = person(people["anna"], "Meier")
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        person_archive(actor=people[who], person_id=target.pk)


@pytest.mark.parametrize("who", ["anna", "mia", "sam", "vera"])
def test_only_administrators_delete_for_good(people, who):
    target = person(people["anna"], "Meier")
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        person_delete(actor=people[who], person_id=target.pk)


def test_administrator_deletes_person_and_affiliations(people):
    anna = people["anna"]
    target = person(anna, "Meier")
    company = org(anna, "Nord GmbH")
    affiliation_create(actor=anna, person_id=target.pk, organization_id=company.pk)
    with one_event(Verb.DELETE) as watch:
        person_delete(actor=people["admin"], person_id=target.pk)
    assert not Person.objects.filter(pk=target.pk).exists()
    assert Affiliation.objects.count() == 0
    assert watch.events[0].changes["last_name"] == ["Meier", None]
