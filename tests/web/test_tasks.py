"""The "my tasks" page: sections, completing and rescheduling in place, other users' tasks."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from kundenwert.activities.models import Activity
from kundenwert.activities.services import activity_create
from kundenwert.audit.models import AuditEvent

from .conftest import client_for
from .test_journeys import browser, page, shot, sign_in  # noqa: F401 - browser fixtures

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture skips (or fails in CI)
    expect = None

HTMX = {"HTTP_HX_REQUEST": "true"}
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def html(response) -> str:
    return response.content.decode()


def section(body: str, key: str) -> str:
    """Return the HTML of one section of the tasks page."""
    match = re.search(rf'<section id="tasks-{key}".*?</section>', body, re.S)
    assert match, key
    return match.group(0)


def local_today(hour: int, days: int = 0) -> dt.datetime:
    """Return `hour` o'clock `days` from today, in the server's (and anna's) time zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    day = timezone.localtime(timezone.now(), zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def make_task(user, subject: str, due_at: dt.datetime) -> Activity:
    return activity_create(actor=user, data={"type": "task", "subject": subject, "due_at": due_at})


@pytest.fixture
def tasks(world) -> dict[str, Activity]:
    anna, ben = world.people["anna"], world.people["ben"]
    return {
        "yesterday": make_task(anna, "Call back Nordlicht", local_today(10, days=-1)),
        "today": make_task(anna, "Send the offer", local_today(23)),
        "next_week": make_task(anna, "Plan the workshop", local_today(9, days=7)),
        "ben": make_task(ben, "Ben's own task", local_today(23)),
    }


def test_sections_hold_my_open_tasks(world, tasks):
    body = html(client_for(world.people["anna"]).get("/tasks/"))
    assert section(body, "overdue").count('class="task"') == 1
    assert "Call back Nordlicht" in section(body, "overdue")
    assert section(body, "today").count('class="task"') == 1
    assert "Send the offer" in section(body, "today")
    assert section(body, "upcoming").count('class="task"') == 1
    assert "Plan the workshop" in section(body, "upcoming")
    assert "Ben&#x27;s own task" not in body and "Ben's own task" not in body
    # The navigation points here and marks the page as the current one.
    assert '<a href="/tasks/" aria-current="page">' in body


def test_a_task_due_earlier_today_is_listed_once(world):
    anna = world.people["anna"]
    make_task(anna, "Early task", local_today(0))
    body = html(client_for(anna).get("/tasks/"))
    assert body.count("Early task</strong>") == 1
    assert "Early task" in section(body, "today")


def test_dates_follow_the_language(world, tasks):
    anna = client_for(world.people["anna"])
    due = local_today(9, days=7)
    anna.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    german = html(anna.get("/tasks/"))
    assert f"{due:%d.%m.%Y} 09:00" in german
    assert f'value="{due:%Y-%m-%d}T09:00"' in german
    assert '<h2 id="tasks-overdue-title">Überfällig</h2>' in german


def test_show_more_continues_a_section(world):
    anna = world.people["anna"]
    for number in range(21):
        make_task(anna, f"Later task {number:02d}", local_today(9, days=3 + number))
    client = client_for(anna)
    upcoming = section(html(client.get("/tasks/")), "upcoming")
    assert upcoming.count('class="task"') == 20
    more = re.search(r'href="(/tasks/\?section=upcoming&amp;cursor=[^"]+)"', upcoming)
    assert more
    url = more.group(1).replace("&amp;", "&")
    fragment = html(client.get(url, **HTMX))
    assert "<html" not in fragment and fragment.count('class="task"') == 1
    assert "Later task 20" in fragment and "more-row" not in fragment
    # Without JavaScript the same link shows the page with the section continued.
    assert "Later task 20" in section(html(client.get(url)), "upcoming")
    assert client.get("/tasks/?section=upcoming&cursor=garbage").status_code == 404
    assert client.get("/tasks/?section=nonsense").status_code == 404


def test_complete_from_the_tasks_page(world, tasks):
    task = tasks["today"]
    anna = client_for(world.people["anna"])
    body = html(anna.get("/tasks/"))
    assert f'hx-post="/tasks/{task.pk}/complete/"' in body
    response = anna.post(f"/tasks/{task.pk}/complete/", {"next": "/tasks/"})
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.is_done is True
    assert (
        AuditEvent.objects.filter(
            verb="update", target_id=str(task.pk), changes__is_done__isnull=False
        ).count()
        == 1
    )
    assert "Send the offer</strong>" not in html(anna.get("/tasks/"))


def test_reschedule_in_place(world, tasks):
    task = tasks["yesterday"]
    anna = client_for(world.people["anna"])
    events = AuditEvent.objects.filter(verb="update", target_id=str(task.pk))
    response = anna.post(f"/tasks/{task.pk}/reschedule/", {"due_at": "2030-05-01T09:30"}, **HTMX)
    assert response.status_code == 200
    fragment = html(response)
    assert "<html" not in fragment and f'id="task-{task.pk}"' in fragment
    assert 'value="2030-05-01T09:30"' in fragment
    task.refresh_from_db()
    # 09:30 in Berlin (summer time) is 07:30 UTC.
    assert task.due_at == dt.datetime(2030, 5, 1, 7, 30, tzinfo=dt.UTC)
    assert task.version == 2
    assert events.count() == 1 and "due_at" in events.get().changes
    body = html(anna.get("/tasks/"))
    assert "Call back Nordlicht" in section(body, "upcoming")


def test_reschedule_reads_the_users_time_zone(world, tasks):
    anna = world.people["anna"]
    anna.time_zone = "America/New_York"
    anna.save(update_fields=["time_zone"])
    task = tasks["today"]
    client_for(anna).post(f"/tasks/{task.pk}/reschedule/", {"due_at": "2030-01-15T08:00"})
    task.refresh_from_db()
    assert task.due_at == dt.datetime(2030, 1, 15, 13, 0, tzinfo=dt.UTC)


def test_reschedule_without_javascript(world, tasks):
    task = tasks["today"]
    response = client_for(world.people["anna"]).post(
        f"/tasks/{task.pk}/reschedule/", {"due_at": "2030-05-01T09:30"}
    )
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    task.refresh_from_db()
    assert task.due_at == dt.datetime(2030, 5, 1, 9, 30, tzinfo=BERLIN)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "tomorrow",
        "2030-13-45T09:00",
        # 02:30 does not exist in Berlin on the night clocks go forward.
        "2030-03-31T02:30",
    ],
)
def test_an_invalid_date_shows_the_field_error(world, tasks, value):
    task = tasks["today"]
    before = (task.due_at, task.version)
    anna = client_for(world.people["anna"])
    events = AuditEvent.objects.count()  # after the sign-in, which is audited
    response = anna.post(f"/tasks/{task.pk}/reschedule/", {"due_at": value}, **HTMX)
    assert response.status_code == 422
    fragment = html(response)
    assert f'id="due-{task.pk}-error"' in fragment and 'aria-invalid="true"' in fragment
    assert f'aria-describedby="due-{task.pk}-error"' in fragment
    # Without JavaScript: the same form, on a page of its own.
    full = anna.post(f"/tasks/{task.pk}/reschedule/", {"due_at": value})
    assert full.status_code == 422 and "<html" in html(full)
    assert f'id="due-{task.pk}-error"' in html(full)
    task.refresh_from_db()
    assert (task.due_at, task.version) == before
    assert AuditEvent.objects.count() == events


def test_another_users_task_is_not_found(world, tasks):
    task = tasks["ben"]
    anna = client_for(world.people["anna"])
    before = (task.due_at, task.version)
    assert (
        anna.post(f"/tasks/{task.pk}/reschedule/", {"due_at": "2030-05-01T09:30"}).status_code
        == 404
    )
    assert anna.post(f"/tasks/{task.pk}/complete/").status_code == 404
    assert anna.get(f"/tasks/{task.pk}/reschedule/").status_code == 405
    task.refresh_from_db()
    assert (task.due_at, task.version, task.is_done) == (*before, False)


def test_signed_out_users_are_sent_to_sign_in(world):
    from django.test import Client

    response = Client().get("/tasks/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reschedule_and_complete_in_the_browser(page, world):  # noqa: F811 - fixture
    anna = world.people["anna"]
    task = make_task(anna, "Angebot schicken", local_today(9, days=7))
    make_task(anna, "Rückruf", local_today(10, days=-1))
    sign_in(page)
    page.get_by_role("navigation").get_by_role("link", name="Aufgaben").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Aufgaben")
    page.evaluate("window.kundenwertMarker = 5")
    row = page.locator(f"#task-{task.pk}")
    field = row.get_by_label("Neues Fälligkeitsdatum für „Angebot schicken“")
    field.fill("")
    row.get_by_role("button", name="Verschieben").click()
    expect(row.locator(".errorlist")).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("2030-05-01T09:30")
    row.get_by_role("button", name="Verschieben").click()
    expect(row.locator(".errorlist")).to_have_count(0)
    expect(row).to_contain_text("01.05.2030 09:30")
    task.refresh_from_db()
    assert task.due_at == dt.datetime(2030, 5, 1, 9, 30, tzinfo=BERLIN)
    overdue = page.locator("#tasks-overdue li", has_text="Rückruf")
    overdue.get_by_role("button", name="Erledigt").click()
    expect(page.locator("#tasks-overdue li.task-done")).to_contain_text("Rückruf")
    assert page.evaluate("window.kundenwertMarker") == 5  # no page load
    assert Activity.objects.get(subject="Rückruf").is_done is True
    shot(page, "tasks")


def test_rescheduling_an_archived_task_shows_why(world, tasks):
    from kundenwert.activities.services import activity_archive

    task = tasks["today"]
    anna = world.people["anna"]
    activity_archive(actor=anna, activity_id=task.pk)
    task.refresh_from_db()
    before = (task.due_at, task.version)
    response = client_for(anna).post(
        f"/tasks/{task.pk}/reschedule/", {"due_at": "2030-05-01T09:30"}, **HTMX
    )
    assert response.status_code == 422 and f'id="due-{task.pk}-error"' in html(response)
    task.refresh_from_db()
    assert (task.due_at, task.version) == before


def test_tasks_with_only_a_start_are_listed_by_their_start(world):
    anna = world.people["anna"]
    started = activity_create(
        actor=anna,
        data={"type": "task", "subject": "Started yesterday", "starts_at": local_today(10, -1)},
    )
    activity_create(
        actor=anna, data={"type": "task", "subject": "Starts today", "starts_at": local_today(23)}
    )
    activity_create(
        actor=anna, data={"type": "task", "subject": "Started today", "starts_at": local_today(0)}
    )
    activity_create(
        actor=anna,
        data={"type": "task", "subject": "Starts next week", "starts_at": local_today(9, 7)},
    )
    client = client_for(anna)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = html(client.get("/tasks/"))
    for subject, key in [
        ("Started yesterday", "overdue"),
        ("Starts today", "today"),
        ("Started today", "today"),  # past, yet listed under today rather than overdue
        ("Starts next week", "upcoming"),
    ]:
        assert body.count(f"{subject}</strong>") == 1, subject
        assert f"{subject}</strong>" in section(body, key), subject
    # The row says what the date is, and rescheduling starts from it.
    start = local_today(10, -1)
    row = re.search(rf'<li class="task" id="task-{started.pk}">.*?</li>', body, re.S).group(0)
    assert f'start <time datetime="{start.isoformat()}">' in row
    assert f'value="{start:%Y-%m-%d}T10:00"' in row


def test_a_task_without_any_date_is_listed_last_under_upcoming(world, tasks):
    anna = world.people["anna"]
    undated = make_task(anna, "Sometime", local_today(9, days=-30))
    Activity.objects.filter(pk=undated.pk).update(due_at=None, starts_at=None)  # older data
    client = client_for(anna)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = html(client.get("/tasks/"))
    assert body.count("Sometime</strong>") == 1
    upcoming = section(body, "upcoming")
    assert upcoming.index("Plan the workshop") < upcoming.index("Sometime</strong>")
    assert "no date" in upcoming
    assert "Sometime" not in section(body, "overdue") + section(body, "today")
