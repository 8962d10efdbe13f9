"""The activities list, detail and form pages — the generic entity mechanism serving activities."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kundenwert.activities.models import Activity
from kundenwert.activities.services import activity_create, activity_update
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Organization
from kundenwert.org.models import Team

from .conftest import client_for

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def acts(world) -> dict[str, Activity]:
    anna, ben = world.people["anna"], world.people["ben"]
    soon = timezone.now() + dt.timedelta(days=3)
    return {
        "note": world.note,
        "task": activity_create(
            actor=anna,
            data={"type": "task", "subject": "Send the offer", "due_at": soon},
        ),
        "call": activity_create(
            actor=anna,
            data={
                "type": "call",
                "subject": "Called the CFO",
                "outcome": "wants a demo",
                "body": "**Budget** approved <script>alert(1)</script>",
                "organization_ids": [world.org.pk],
                "person_ids": [world.person.pk],
            },
        ),
        "ben": activity_create(
            actor=ben,
            data={
                "type": "note",
                "subject": "Südwind visit",
                "organization_ids": [world.other_org.pk],
            },
        ),
    }


def test_nav_has_activities_and_the_list_shows_only_visible_ones(world, acts):
    page = html(client_for(world.people["anna"]).get("/activities/"))
    assert 'href="/activities/" aria-current="page"' in page
    for key in ("note", "task", "call"):
        assert f'href="/activities/{acts[key].pk}/"' in page
    assert "Südwind visit" not in page
    ben_page = html(client_for(world.people["ben"]).get("/activities/"))
    assert "Südwind visit" in ben_page and "Send the offer" not in ben_page


def test_filters_sort_and_search_come_from_the_url(world, acts):
    client = client_for(world.people["anna"])
    tasks = html(client.get("/activities/?type=task"))
    assert "Send the offer" in tasks and "Called the CFO" not in tasks
    upcoming = html(client.get("/activities/?due=upcoming&done=false"))
    assert "Send the offer" in upcoming and "Met at the fair" not in upcoming
    found = html(client.get("/activities/?q=demo"))  # the outcome is searchable
    assert "Called the CFO" in found and "Send the offer" not in found
    # Newest first by default; ascending on request.
    newest = html(client.get("/activities/"))
    oldest = html(client.get("/activities/?sort=occurred"))
    assert newest.index("Send the offer") < newest.index("Met at the fair")
    assert oldest.index("Met at the fair") < oldest.index("Send the offer")


def test_bad_parameters_are_a_400_with_the_reason(world):
    response = client_for(world.people["anna"]).get(
        "/activities/?type=party", headers={"accept-language": "en"}
    )
    assert response.status_code == 400
    assert "Unknown value. Allowed: call, email, meeting, note, task" in html(response)


def test_an_empty_list_says_so_inside_the_table(world):
    page = html(client_for(world.people["vera"]).get("/activities/?type=email"))
    assert '<tr class="empty-row"><td colspan="8" class="muted empty">' in page


def test_detail_shows_the_sanitised_text_and_visible_links_only(world, acts):
    anna = client_for(world.people["anna"])
    page = html(anna.get(f"/activities/{acts['call'].pk}/", headers={"accept-language": "en"}))
    assert "<strong>Budget</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert f'href="/organizations/{world.org.pk}/"' in page
    assert f'href="/people/{world.person.pk}/"' in page
    assert 'id="activity-panel"' not in page  # an activity has no timeline of its own
    # Another team's activity does not exist for anna.
    assert anna.get(f"/activities/{acts['ben'].pk}/").status_code == 404
    assert anna.get(f"/activities/{acts['ben'].pk}/edit/").status_code == 404


def test_create_a_task_needs_a_due_date_then_is_assigned_to_me(world):
    anna = world.people["anna"]
    client = client_for(anna)
    form = html(client.get("/activities/new/"))
    assert '<option value="task" selected>' in form
    before = Activity.objects.count()
    refused = client.post(
        "/activities/new/",
        {"type": "task", "subject": "Follow up", "owner_id": anna.pk, "assignee_id": anna.pk},
        headers={"accept-language": "en"},
    )
    assert refused.status_code == 422
    assert "A task needs a due date." in html(refused)
    assert Activity.objects.count() == before
    response = client.post(
        "/activities/new/",
        {
            "type": "task",
            "subject": "Follow up",
            "due_at": "2026-12-01T09:30",
            "owner_id": anna.pk,
            "assignee_id": anna.pk,
        },
    )
    task = Activity.objects.get(subject="Follow up")
    assert response.status_code == 302 and response["Location"] == f"/activities/{task.pk}/"
    assert task.assignee == anna and not task.is_done
    # The time was read in anna's time zone (Europe/Berlin: UTC+1 in December).
    assert task.due_at == dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)
    assert (
        AuditEvent.objects.filter(
            verb="create", target_type="activity", target_id=str(task.pk)
        ).count()
        == 1
    )


def test_edit_completes_a_task_and_a_stale_edit_is_refused(world, acts):
    anna = world.people["anna"]
    task = acts["task"]
    client = client_for(anna)
    form = html(client.get(f"/activities/{task.pk}/edit/"))
    assert 'value="Send the offer"' in form
    activity_update(actor=anna, activity_id=task.pk, data={"outcome": "phoned"})
    data = {
        "type": "task",
        "subject": "Send the offer",
        "due_at": "2026-12-02T10:00",
        "is_done": "on",
        "owner_id": anna.pk,
        "assignee_id": anna.pk,
        "version": str(task.version),
    }
    stale = client.post(f"/activities/{task.pk}/edit/", data)
    assert stale.status_code == 422
    assert not Activity.objects.get(pk=task.pk).is_done
    data["version"] = str(task.version + 1)
    done = client.post(f"/activities/{task.pk}/edit/", data)
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.is_done and task.done_at is not None


def test_archive_and_restore(world, acts):
    client = client_for(world.people["anna"])
    pk = acts["note"].pk
    assert "archive" in html(client.get(f"/activities/{pk}/archive/")).lower()
    assert client.post(f"/activities/{pk}/archive/").status_code == 302
    assert Activity.objects.get(pk=pk).archived_at is not None
    link = f'href="/activities/{pk}/"'
    assert link not in html(client.get("/activities/"))
    assert link in html(client.get("/activities/?archived=true"))
    assert client.post(f"/activities/{pk}/restore/").status_code == 302
    assert Activity.objects.get(pk=pk).archived_at is None


def test_the_assignee_may_open_and_edit_a_task_another_user_owns(world):
    """Own = owner or assignee: the generic edit check must agree with the service."""
    mia, carl = world.people["mia"], world.people["carl"]
    task = activity_create(
        actor=mia,
        data={
            "type": "task",
            "subject": "For carl",
            "due_at": timezone.now() + dt.timedelta(days=1),
            "assignee_id": carl.pk,
        },
    )
    page = html(client_for(carl).get(f"/activities/{task.pk}/"))
    assert f'href="/activities/{task.pk}/edit/"' in page


def test_bulk_owner_and_team_on_activities_tags_not_offered(world, acts):
    admin = client_for(world.people["admin"])
    ben = world.people["ben"]
    ids = [str(acts["note"].pk), str(acts["task"].pk)]
    page = html(admin.get("/activities/"))
    assert 'name="team_id"' in page and 'value="add_tag"' not in page
    response = admin.post(
        "/activities/bulk/", {"ids": ids, "action": "owner", "owner_id": str(ben.pk)}
    )
    assert response.status_code == 302
    assert set(Activity.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {ben.pk}
    sued = Team.objects.get(name="Süd")
    admin.post("/activities/bulk/", {"ids": ids, "action": "team", "team_id": str(sued.pk)})
    assert set(Activity.objects.filter(pk__in=ids).values_list("team", flat=True)) == {sued.pk}
    # A tag action is not offered for activities and changes nothing.
    before = AuditEvent.objects.count()
    admin.post("/activities/bulk/", {"ids": ids, "action": "add_tag", "tag": "x"})
    assert AuditEvent.objects.count() == before


def test_bulk_team_on_organisations_respects_permissions(world):
    """mia manages Nord: she may move Nord's records, not Süd's (which she cannot see)."""
    mia = client_for(world.people["mia"])
    sued = Team.objects.get(name="Süd")
    nord = Team.objects.get(name="Nord")
    ids = [str(world.org.pk), str(world.other_org.pk)]
    before = AuditEvent.objects.filter(verb="update").count()
    response = mia.post(
        "/organizations/bulk/",
        {"ids": ids, "action": "team", "team_id": str(nord.pk)},
        follow=True,
        headers={"accept-language": "en"},
    )
    assert "0 changed, 1 already as asked, 1 refused" in html(response)
    assert Organization.objects.get(pk=world.other_org.pk).team == sued
    assert AuditEvent.objects.filter(verb="update").count() == before
    missing = mia.post(
        "/organizations/bulk/",
        {"ids": ids, "action": "team"},
        follow=True,
        headers={"accept-language": "en"},
    )
    assert "Choose the new team." in html(missing)


def test_export_of_activities_is_the_filtered_visible_list(world, acts):
    response = client_for(world.people["anna"]).get(
        "/activities/export.csv?type=call,note", headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["ID", "Type", "Subject"]
    subjects = sorted(row[2] for row in rows[1:])
    assert subjects == ["Called the CFO", "Met at the fair"]


def test_the_list_costs_the_same_queries_for_many_rows(world):
    anna = world.people["anna"]
    client = client_for(anna)
    client.get("/activities/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/activities/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(15):
        activity_create(actor=anna, data={"type": "note", "subject": f"Note {i}"})
    assert count() == few
