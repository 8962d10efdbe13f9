"""Service tests for activities: create, update, complete, archive, restore, delete."""

from __future__ import annotations

import datetime as dt

import pytest

from kundenwert.activities.models import Activity
from kundenwert.activities.selectors import activity_list
from kundenwert.activities.services import (
    activity_archive,
    activity_complete,
    activity_create,
    activity_delete,
    activity_restore,
    activity_update,
)
from kundenwert.audit.models import AuditEvent
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
WHEN = dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)


def note(actor, subject="Notiz", **data) -> Activity:
    return activity_create(actor=actor, data={"type": "note", "subject": subject, **data})


def test_create_renders_links_and_audits(people):
    anna = people["anna"]
    company, contact = org(anna, "Nord GmbH"), person(anna, "Meier")
    with acting_through("web"), one_event(Verb.CREATE) as watch:
        created = activity_create(
            actor=anna,
            data={
                "type": "call",
                "subject": "  Angebot besprochen ",
                "body": "**wichtig** <script>alert(1)</script>",
                "starts_at": WHEN,
                "duration_minutes": 15,
                "outcome": "Rückruf",
                "organization_ids": [company.pk, company.pk],
                "person_ids": [contact.pk],
            },
        )
    stored = Activity.objects.get(pk=created.pk)
    assert stored.subject == "Angebot besprochen"
    assert "<strong>wichtig</strong>" in stored.body_html
    assert "<script>" not in stored.body_html
    assert stored.occurred_at == WHEN
    assert (stored.owner, stored.team.name, stored.assignee, stored.version) == (
        anna,
        "Nord",
        None,
        1,
    )
    assert list(stored.organizations.all()) == [company]
    assert list(stored.people.all()) == [contact]
    assert stored.search_text == "angebot besprochen rückruf"
    (event,) = watch.events
    assert (event.actor, event.source, event.target_type) == (anna, "web", "activity")
    assert event.changes["organization_ids"] == [None, [company.pk]]
    assert event.changes["subject"] == [None, "Angebot besprochen"]


def test_task_defaults_to_the_actor_as_assignee_and_sorts_by_due_date(people):
    task = activity_create(
        actor=people["anna"], data={"type": "task", "subject": "Nachfassen", "due_at": WHEN}
    )
    assert (task.assignee, task.occurred_at, task.is_done) == (people["anna"], WHEN, False)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"type": "task", "subject": "x"}, {"due_at"}),
        ({"type": "call", "subject": "x", "starts_at": dt.datetime(2026, 5, 4, 9)}, {"starts_at"}),
        ({"type": "task", "subject": "x", "due_at": dt.datetime(2026, 5, 4)}, {"due_at"}),
        ({"type": "call", "subject": "x", "starts_at": "2026-05-04T09:00:00+02:00"}, {"starts_at"}),
        ({"type": "task", "subject": "x", "due_at": dt.date(2026, 5, 4)}, {"due_at"}),
        ({"type": "fax", "subject": "x"}, {"type"}),
        ({"type": "note", "subject": ""}, {"subject"}),
        ({"type": "note", "subject": "x", "owner_id": None}, {"owner_id"}),
        ({"type": "note", "subject": "x", "owner_id": 99_999}, {"owner_id"}),
        ({"type": "note", "subject": "x", "assignee_id": 99_999}, {"assignee_id"}),
        ({"type": "note", "subject": "x", "team_id": 99_999}, {"team_id"}),
        ({"type": "note", "subject": "x", "duration_minutes": -5}, {"duration_minutes"}),
        ({"type": "note", "subject": "x", "organization_ids": [99_999]}, {"organization_ids"}),
        ({"type": "note", "subject": "x", "person_ids": [99_999]}, {"person_ids"}),
        ({"type": "note", "subject": "x", "priority": "high"}, {"priority"}),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        activity_create(actor=people["anna"], data=data)
    assert set(info.value.message_dict) == fields


def test_links_to_records_the_actor_cannot_see_are_not_found(people):
    hidden_org, hidden_person = org(people["ben"], "Süd GmbH"), person(people["ben"], "Süd")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        note(people["anna"], organization_ids=[hidden_org.pk], person_ids=[hidden_person.pk])
    assert set(info.value.message_dict) == {"organization_ids", "person_ids"}


@pytest.mark.parametrize("who", ["max", "vera"])
def test_marketing_and_read_only_cannot_create_activities(people, who):
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        note(people[who])
    assert watch.events[0].changes == {"action": "activity.edit"}


def test_update_bumps_version_relinks_and_noop_is_silent(people):
    anna = people["anna"]
    first, second = org(anna, "Eins"), org(anna, "Zwei")
    act = note(anna, organization_ids=[first.pk])
    with one_event(Verb.UPDATE) as watch:
        activity_update(
            actor=anna,
            activity_id=act.pk,
            expected_version=1,
            data={"subject": "Neu", "organization_ids": [second.pk]},
        )
    assert watch.events[0].changes == {
        "subject": ["Notiz", "Neu"],
        "organization_ids": [[first.pk], [second.pk]],
    }
    stored = Activity.objects.get(pk=act.pk)
    assert (stored.version, stored.search_text) == (2, "neu")
    assert list(stored.organizations.all()) == [second]
    with nothing_changed():
        activity_update(
            actor=anna,
            activity_id=act.pk,
            data={"subject": "Neu ", "organization_ids": [second.pk]},
        )


def test_update_rejects_naive_time_and_stale_version(people):
    act = note(people["anna"])
    with nothing_changed(), pytest.raises(ValidationError) as info:
        activity_update(
            actor=people["anna"], activity_id=act.pk, data={"starts_at": dt.datetime(2026, 1, 1, 8)}
        )
    assert set(info.value.message_dict) == {"starts_at"}
    with nothing_changed(), pytest.raises(PreconditionFailed):
        activity_update(
            actor=people["anna"], activity_id=act.pk, data={"subject": "x"}, expected_version=2
        )
    with nothing_changed(), pytest.raises(ValidationError) as info:
        activity_update(
            actor=people["anna"], activity_id=act.pk, data={"type": "task", "due_at": None}
        )
    assert set(info.value.message_dict) == {"due_at"}


def test_complete_marks_done_once(people):
    anna = people["anna"]
    task = activity_create(actor=anna, data={"type": "task", "subject": "T", "due_at": WHEN})
    with one_event(Verb.UPDATE) as watch:
        activity_complete(actor=anna, activity_id=task.pk)
    assert watch.events[0].changes == {"is_done": [False, True]}
    stored = Activity.objects.get(pk=task.pk)
    assert stored.is_done and stored.done_at is not None and stored.version == 2
    with nothing_changed():
        activity_complete(actor=anna, activity_id=task.pk)
    activity_update(actor=anna, activity_id=task.pk, data={"is_done": False})
    assert Activity.objects.get(pk=task.pk).done_at is None


@pytest.mark.parametrize("who", ["anna", "mia", "admin"])
def test_owner_manager_and_admin_may_update(people, who):
    act = note(people["anna"])
    activity_update(actor=people[who], activity_id=act.pk, data={"outcome": "ok"})
    assert Activity.objects.get(pk=act.pk).outcome == "ok"


@pytest.mark.parametrize("who", ["carl", "sam", "max", "vera"])
def test_visible_but_not_editable_is_denied(people, who):
    act = note(people["anna"])
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        activity_update(actor=people[who], activity_id=act.pk, data={"subject": "x"})
    (event,) = watch.events
    assert (event.actor, event.target_type, event.target_id) == (
        people[who],
        "activity",
        str(act.pk),
    )
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        activity_complete(actor=people[who], activity_id=act.pk)
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        activity_archive(actor=people[who], activity_id=act.pk)


def test_another_teams_activity_is_not_found_for_sales(people):
    act = note(people["anna"])
    for call in (
        lambda: activity_update(actor=people["ben"], activity_id=act.pk, data={"subject": "x"}),
        lambda: activity_archive(actor=people["ben"], activity_id=act.pk),
        lambda: activity_delete(actor=people["ben"], activity_id=act.pk),
    ):
        with nothing_changed(), pytest.raises(NotFound):
            call()


def test_assignee_sees_and_edits_a_task_of_another_team(people):
    """ "Own" includes the assignee: ben (Süd) may work on a task anna assigned to him."""
    task = activity_create(
        actor=people["anna"],
        data={
            "type": "task",
            "subject": "Für Ben",
            "due_at": WHEN,
            "assignee_id": people["ben"].pk,
        },
    )
    assert [a.pk for a in activity_list(viewer=people["ben"], params={}).rows] == [task.pk]
    activity_complete(actor=people["ben"], activity_id=task.pk)
    assert Activity.objects.get(pk=task.pk).is_done
    other = note(people["anna"])  # not assigned to ben: still out of his sight
    with nothing_changed(), pytest.raises(NotFound):
        activity_update(actor=people["ben"], activity_id=other.pk, data={})


def test_archive_refuses_updates_until_restored(people):
    anna = people["anna"]
    act = note(anna)
    with one_event(Verb.ARCHIVE):
        activity_archive(actor=anna, activity_id=act.pk)
    with nothing_changed():
        activity_archive(actor=anna, activity_id=act.pk)
    with nothing_changed(), pytest.raises(ConflictError):
        activity_update(actor=anna, activity_id=act.pk, data={"subject": "x"})
    with one_event(Verb.RESTORE):
        activity_restore(actor=anna, activity_id=act.pk)
    activity_update(actor=anna, activity_id=act.pk, data={"subject": "x"})
    assert Activity.objects.get(pk=act.pk).version == 4


@pytest.mark.parametrize("who", ["anna", "mia", "sam", "vera"])
def test_only_administrators_delete_for_good(people, who):
    act = note(people["anna"])
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        activity_delete(actor=people[who], activity_id=act.pk)


def test_administrator_deletes_an_activity_and_its_links(people):
    anna = people["anna"]
    act = note(anna, organization_ids=[org(anna, "Nord GmbH").pk])
    with one_event(Verb.DELETE) as watch:
        activity_delete(actor=people["admin"], activity_id=act.pk)
    assert Activity.objects.count() == 0
    assert Activity.organizations.through.objects.count() == 0
    assert watch.events[0].changes["subject"] == ["Notiz", None]
