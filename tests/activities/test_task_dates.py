"""When a task is due: its due date, else its start; every open task lands in one section."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kundenwert.activities.models import Activity
from kundenwert.activities.selectors import activity_list, task_when, tasks_for
from kundenwert.activities.services import activity_create, activity_update

pytestmark = pytest.mark.django_db


def local_day(hour: int, days: int = 0) -> dt.datetime:
    """Return `hour` o'clock `days` from today in the current time zone."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def task(actor, subject: str, **dates) -> Activity:
    return activity_create(actor=actor, data={"type": "task", "subject": subject, **dates})


def undated_task(actor, subject: str) -> Activity:
    """A task with neither date: services refuse to write one, older data may hold it."""
    made = task(actor, subject, due_at=local_day(12, days=-30))
    Activity.objects.filter(pk=made.pk).update(due_at=None, starts_at=None)
    made.refresh_from_db()
    return made


def section(viewer, key: str) -> list[str]:
    return [a.subject for a in tasks_for(viewer=viewer, params={"due": key}).rows]


def walk(viewer, params: dict[str, str], size: int) -> list[str]:
    """Every row of `tasks_for`, page by page."""
    seen: list[str] = []
    cursor = None
    while True:
        page = tasks_for(
            viewer=viewer,
            params={**params, "limit": str(size), **({"cursor": cursor} if cursor else {})},
        )
        seen += [a.subject for a in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            return seen


@pytest.fixture
def dated(people) -> dict[str, Activity]:
    anna = people["anna"]
    return {
        "due_last_week": task(anna, "due last week", due_at=local_day(9, days=-7)),
        "starts_yesterday": task(anna, "starts yesterday", starts_at=local_day(10, days=-1)),
        "starts_today": task(anna, "starts today", starts_at=local_day(23)),
        "due_today": task(anna, "due today", due_at=local_day(22)),
        "starts_tomorrow": task(anna, "starts tomorrow", starts_at=local_day(8, days=1)),
        # The due date rules: started yesterday, but not due before next week.
        "both": task(
            anna, "both dates", starts_at=local_day(9, days=-1), due_at=local_day(9, days=7)
        ),
        "due_in_two_weeks": task(anna, "due in two weeks", due_at=local_day(9, days=14)),
    }


def test_a_start_only_task_is_due_when_it_starts(people, dated):
    anna = people["anna"]
    overdue = section(anna, "overdue")
    assert overdue[:2] == ["due last week", "starts yesterday"]
    # Late in the evening today's tasks are past too; the tasks page lists them under today.
    assert set(overdue[2:]) <= {"due today", "starts today"}
    assert section(anna, "today") == ["due today", "starts today"]
    assert section(anna, "upcoming") == ["starts tomorrow", "both dates", "due in two weeks"]


def test_my_tasks_are_ordered_by_due_date_else_start(people, dated):
    rows = tasks_for(viewer=people["anna"], params={}).rows
    assert [task_when(row) for row in rows] == sorted(task_when(row) for row in rows)
    # For a task with a date the order column says the same as the rule.
    assert all(row.occurred_at == task_when(row) for row in rows)
    assert [row.subject for row in rows][:2] == ["due last week", "starts yesterday"]


def test_every_open_task_is_in_exactly_one_section(people, dated):
    anna = people["anna"]
    undated_task(anna, "no date at all")
    task(anna, "already done", starts_at=local_day(9, days=-2), is_done=True)
    start_of_today = local_day(0)
    overdue = tasks_for(viewer=anna, params={"due": "overdue"}).rows
    # Today's section lists the tasks due earlier today; overdue means before today here.
    sections = {
        "overdue": [t.subject for t in overdue if task_when(t) < start_of_today],
        "today": section(anna, "today"),
        "upcoming": section(anna, "upcoming"),
    }
    placed = [subject for rows in sections.values() for subject in rows]
    open_tasks = Activity.objects.open_tasks().filter(assignee=anna)
    assert sorted(placed) == sorted(open_tasks.values_list("subject", flat=True))
    assert len(placed) == len(set(placed)) == 8
    assert "already done" not in placed


def test_a_task_without_any_date_is_upcoming_and_last(people, dated):
    anna = people["anna"]
    undated_task(anna, "no date at all")
    assert section(anna, "upcoming")[-1] == "no date at all"
    assert "no date at all" not in section(anna, "overdue") + section(anna, "today")
    assert tasks_for(viewer=anna, params={}).rows[-1].subject == "no date at all"
    assert tasks_for(viewer=anna, params={"sort": "-due"}).rows[0].subject == "no date at all"


@pytest.mark.parametrize("size", [1, 2, 3])
def test_paging_through_my_tasks_keeps_every_task_once(people, dated, size):
    anna = people["anna"]
    undated_task(anna, "no date 1")
    undated_task(anna, "no date 2")
    everything = [a.subject for a in tasks_for(viewer=anna, params={"limit": "50"}).rows]
    assert len(everything) == 9 and everything[-2:] == ["no date 1", "no date 2"]
    assert walk(anna, {}, size) == everything
    assert walk(anna, {"sort": "-due"}, size) == everything[::-1]
    assert walk(anna, {"due": "upcoming"}, size) == section(anna, "upcoming")


def test_moving_the_date_moves_the_task(people, dated):
    anna = people["anna"]
    moved = dated["starts_yesterday"]
    activity_update(actor=anna, activity_id=moved.pk, data={"due_at": local_day(9, days=3)})
    assert "starts yesterday" in section(anna, "upcoming")
    assert "starts yesterday" not in section(anna, "overdue")
    # Clearing the due date again makes the start count.
    activity_update(actor=anna, activity_id=moved.pk, data={"due_at": None})
    assert "starts yesterday" in section(anna, "overdue")


def test_other_activities_are_due_only_by_their_due_date(people):
    anna = people["anna"]
    # A call that took place yesterday is not overdue, a meeting tomorrow is not a due item.
    activity_create(
        actor=anna, data={"type": "call", "subject": "call", "starts_at": local_day(9, days=-1)}
    )
    activity_create(
        actor=anna,
        data={"type": "meeting", "subject": "meeting", "starts_at": local_day(9, days=1)},
    )
    activity_create(
        actor=anna,
        data={"type": "call", "subject": "planned call", "due_at": local_day(9, days=-1)},
    )
    task(anna, "task", starts_at=local_day(9, days=-1))

    def listed(due: str) -> list[str]:
        return [a.subject for a in activity_list(viewer=anna, params={"due": due}).rows]

    assert sorted(listed("overdue")) == ["planned call", "task"]
    assert listed("today") == []
    assert listed("upcoming") == []
