"""Selector tests for activities: list filters, sorts, pagination, my tasks and the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kundenwert.activities.models import Activity
from kundenwert.activities.selectors import (
    activity_list,
    tasks_for,
    timeline_for_organization,
    timeline_for_person,
)
from kundenwert.activities.services import activity_archive, activity_create
from kundenwert.audit.models import AuditEvent
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.org.models import Team
from tests.contacts.factories import org, person

T0 = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def create(actor, type_="note", subject="A", **data) -> Activity:
    return activity_create(actor=actor, data={"type": type_, "subject": subject, **data})


def subjects(page) -> list[str]:
    return [a.subject for a in page.rows]


def test_filters_and_sorts(people):
    anna, carl, mia = people["anna"], people["carl"], people["mia"]
    company, contact = org(anna, "Nord GmbH"), person(anna, "Meier")
    call = create(anna, "call", "Anruf", starts_at=T0, organization_ids=[company.pk])
    task = create(
        anna, "task", "Aufgabe", due_at=T0 + dt.timedelta(days=1), person_ids=[contact.pk]
    )
    mail = create(
        carl,
        "email",
        "Mail",
        starts_at=T0 - dt.timedelta(days=1),
        assignee_id=anna.pk,
        is_done=True,
    )
    gone = create(anna, "meeting", "Termin", starts_at=T0 + dt.timedelta(days=2))
    activity_archive(actor=anna, activity_id=gone.pk)
    Activity.objects.filter(pk=mail.pk).update(updated_at=T0)
    nord = Team.objects.get(name="Nord")

    def listed(**params):
        return subjects(activity_list(viewer=mia, params=params))

    assert listed() == ["Aufgabe", "Anruf", "Mail"]  # newest first
    assert listed(sort="occurred") == ["Mail", "Anruf", "Aufgabe"]
    assert listed(sort="due") == ["Aufgabe"]
    assert listed(type="call,email") == ["Anruf", "Mail"]
    assert listed(owner=str(carl.pk)) == ["Mail"]
    assert listed(assignee=str(anna.pk)) == ["Aufgabe", "Mail"]
    assert listed(team=str(nord.pk)) == ["Aufgabe", "Anruf", "Mail"]
    assert listed(done="true") == ["Mail"]
    assert listed(organization=str(company.pk)) == ["Anruf"]
    assert listed(person=str(contact.pk)) == ["Aufgabe"]
    assert listed(archived="true") == ["Termin"]
    assert listed(updated_since=(T0 + dt.timedelta(seconds=1)).isoformat()) == ["Aufgabe", "Anruf"]
    assert listed(q="anruf") == ["Anruf"]
    assert {call.pk, task.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "fax"}, "type"),
        ({"status": "customer"}, "status"),
        ({"sort": "subject"}, "sort"),
        ({"due": "someday"}, "due"),
        ({"cursor": "%%%"}, "cursor"),
        ({"done": "2"}, "done"),
    ],
)
def test_bad_parameters_are_validation_errors(people, params, field):
    with pytest.raises(ValidationError) as info:
        activity_list(viewer=people["anna"], params=params)
    assert field in info.value.message_dict


@pytest.mark.parametrize("size", range(1, 8))
def test_pagination_over_identical_times_returns_every_row_once(people, size):
    anna = people["anna"]
    made = [
        create(anna, subject=f"N{i}", starts_at=T0 + dt.timedelta(hours=i % 3)) for i in range(25)
    ]
    expected = [a.pk for a in sorted(made, key=lambda a: (a.occurred_at, a.pk), reverse=True)]
    seen, cursor = [], None
    while True:
        params = {"limit": str(size), **({"cursor": cursor} if cursor else {})}
        page = activity_list(viewer=anna, params=params)
        seen += [a.pk for a in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_visibility_own_includes_the_assignee(people):
    anna, ben = people["anna"], people["ben"]
    assigned = create(anna, "task", "Für Ben", due_at=T0, assignee_id=ben.pk)
    create(anna, subject="Nur Nord")
    create(people["sam"], subject="Süd")  # sam is in ben's team Süd
    assert subjects(activity_list(viewer=ben, params={})) == ["Süd", "Für Ben"]
    assert [a.pk for a in tasks_for(viewer=ben, params={}).rows] == [assigned.pk]
    assert [a.pk for a in tasks_for(viewer=anna, params={}).rows] == []


def test_my_tasks_due_filter(people):
    anna = people["anna"]
    now = timezone.now()
    create(anna, "task", "Überfällig", due_at=now - dt.timedelta(days=2))
    create(anna, "task", "Später", due_at=now + dt.timedelta(days=3))
    done = create(anna, "task", "Erledigt", due_at=now - dt.timedelta(days=3), is_done=True)
    assert subjects(tasks_for(viewer=anna, params={})) == ["Überfällig", "Später"]
    assert subjects(tasks_for(viewer=anna, params={"due": "overdue"})) == ["Überfällig"]
    assert subjects(tasks_for(viewer=anna, params={"due": "upcoming"})) == ["Später"]
    assert done.is_done


# --- timeline ----------------------------------------------------------------------------------


def walk_timeline(viewer, organization_id: int, size: int) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    cursor = None
    for _ in range(500):
        params = {"limit": str(size), **({"cursor": cursor} if cursor else {})}
        entries, cursor = timeline_for_organization(
            viewer=viewer, organization_id=organization_id, params=params
        )
        seen += [(e.kind, e.id) for e in entries]
        if cursor is None:
            return seen
    raise AssertionError("timeline does not end")


@pytest.fixture
def busy_org(people):
    """An organisation with activities and audit events sharing a handful of instants."""
    anna, admin = people["anna"], people["admin"]
    company = org(anna, "Nord GmbH")
    for i in range(12):
        create(
            anna,
            subject=f"A{i}",
            starts_at=T0 + dt.timedelta(minutes=i % 3),
            organization_ids=[company.pk],
        )
    for i in range(10):
        AuditEvent.objects.create(
            at=T0 + dt.timedelta(minutes=i % 4),
            source="system",
            verb="update",
            target_type="organization",
            target_id=str(company.pk),
            changes={"i": i},
        )
    # Not on anna's timeline: archived, or owned by someone outside her team's reach.
    gone = create(anna, subject="weg", starts_at=T0, organization_ids=[company.pk])
    activity_archive(actor=anna, activity_id=gone.pk)
    create(
        admin,
        subject="fremd",
        starts_at=T0,
        owner_id=people["ben"].pk,
        organization_ids=[company.pk],
    )
    return company


def expected_timeline(viewer, company) -> list[tuple[str, int]]:
    acts = Activity.objects.visible_to(viewer).filter(organizations=company, archived_at=None)
    events = AuditEvent.objects.filter(target_type="organization", target_id=str(company.pk))
    keyed = [(a.occurred_at, "activity", a.pk) for a in acts]
    keyed += [(e.at, "audit", e.pk) for e in events]
    return [(kind, pk) for _at, kind, pk in sorted(keyed, reverse=True)]


@pytest.mark.parametrize("size", range(1, 8))
def test_timeline_pages_return_every_entry_once_newest_first(people, busy_org, size):
    expected = expected_timeline(people["anna"], busy_org)
    assert len(expected) == 12 + 10 + 1  # activities, fixed events, the create event
    assert walk_timeline(people["anna"], busy_org.pk, size) == expected


def test_timeline_merges_newest_first(people, busy_org):
    entries, _cursor = timeline_for_organization(
        viewer=people["anna"], organization_id=busy_org.pk, params={"limit": "200"}
    )
    times = [e.at for e in entries]
    assert times == sorted(times, reverse=True)
    assert entries[0].kind == "audit" and entries[0].event.verb == "create"
    assert {e.activity.subject for e in entries if e.kind == "activity"} == {
        f"A{i}" for i in range(12)
    }
    admin_entries, _ = timeline_for_organization(
        viewer=people["admin"], organization_id=busy_org.pk, params={"limit": "200"}
    )
    assert "fremd" in {e.activity.subject for e in admin_entries if e.kind == "activity"}


def test_timeline_validates_and_hides(people, busy_org):
    for params, field in (
        ({"limit": "0"}, "limit"),
        ({"cursor": "zz"}, "cursor"),
        ({"sort": "at"}, "sort"),
    ):
        with pytest.raises(ValidationError) as info:
            timeline_for_organization(
                viewer=people["anna"], organization_id=busy_org.pk, params=params
            )
        assert field in info.value.message_dict
    with pytest.raises(NotFound):
        timeline_for_organization(viewer=people["ben"], organization_id=busy_org.pk, params={})


def test_person_timeline(people):
    anna = people["anna"]
    contact = person(anna, "Meier")
    act = create(anna, subject="Gespräch", starts_at=T0, person_ids=[contact.pk])
    entries, cursor = timeline_for_person(viewer=anna, person_id=contact.pk, params={})
    assert [(e.kind, e.id) for e in entries][-1] == ("activity", act.pk)
    assert [e.kind for e in entries] == ["audit", "activity"] and cursor is None
