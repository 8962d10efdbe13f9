"""The dashboard: recent activity on my records and new organisations per month (SVG chart)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone, translation

from kundenwert.activities.selectors import recent_activity_for
from kundenwert.activities.services import activity_archive, activity_create
from kundenwert.contacts.models import Organization
from kundenwert.contacts.selectors import organizations_created_per_month
from kundenwert.contacts.services import organization_create

from .conftest import client_for


def month_start(months_ago: int) -> dt.date:
    today = timezone.localdate()
    year, month = today.year, today.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1)


def created_in(org: Organization, months_ago: int) -> None:
    """Backdate an organisation to the middle of a past month."""
    day = month_start(months_ago) + dt.timedelta(days=14)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    Organization.objects.filter(pk=org.pk).update(created_at=moment)


def make_orgs(actor, months_ago: list[int]) -> None:
    for index, ago in enumerate(months_ago):
        created_in(organization_create(actor=actor, data={"name": f"Org {ago}-{index}"}), ago)


def test_counts_per_month_are_exact_with_zero_months(world):
    anna, ben = world.people["anna"], world.people["ben"]
    # world already holds one org of anna (Nordlicht) and one of ben, both created now.
    make_orgs(anna, [1, 1, 3, 11, 12])  # 12 months ago is outside the window
    make_orgs(ben, [1, 2])
    series = organizations_created_per_month(viewer=anna, months=12)
    assert [month for month, _n in series] == [month_start(ago) for ago in range(11, -1, -1)]
    counts = {month: n for month, n in series}
    assert counts[month_start(0)] == 1
    assert counts[month_start(1)] == 2
    assert counts[month_start(2)] == 0  # ben's org is not visible to anna
    assert counts[month_start(3)] == 1
    assert counts[month_start(11)] == 1
    assert sum(counts.values()) == 5
    ben_counts = dict(organizations_created_per_month(viewer=ben, months=12))
    assert ben_counts[month_start(1)] == 1 and ben_counts[month_start(2)] == 1
    assert sum(ben_counts.values()) == 3


def test_recent_activity_is_on_my_records_only_and_skips_archived(world):
    anna, ben = world.people["anna"], world.people["ben"]
    on_bens = activity_create(
        actor=ben,
        data={"type": "call", "subject": "Ben calls", "organization_ids": [world.other_org.pk]},
    )
    on_mine_by_ben = activity_create(
        actor=anna,
        data={"type": "call", "subject": "About Greta", "person_ids": [world.person.pk]},
    )
    archived = activity_create(
        actor=anna,
        data={"type": "note", "subject": "Old", "organization_ids": [world.org.pk]},
    )
    activity_archive(actor=anna, activity_id=archived.pk)
    ahead = timezone.now() + dt.timedelta(days=3)
    activity_create(actor=anna, data={"type": "task", "subject": "Later", "due_at": ahead})
    rows = recent_activity_for(viewer=anna, limit=10)
    subjects = [a.subject for a in rows]
    assert on_bens.subject not in subjects
    assert "Old" not in subjects and "Later" not in subjects  # archived; not happened yet
    assert sorted(subjects) == sorted(["Met at the fair", on_mine_by_ben.subject])
    assert [a.occurred_at for a in rows] == sorted((a.occurred_at for a in rows), reverse=True)
    assert [a.subject for a in recent_activity_for(viewer=ben, limit=10)] == ["Ben calls"]
    assert len(recent_activity_for(viewer=anna, limit=1)) == 1


def test_the_dashboard_draws_one_bar_per_month(world, django_assert_max_num_queries):
    anna = world.people["anna"]
    make_orgs(anna, [1, 1, 1, 1, 2, 2])
    client = client_for(anna)
    client.get("/")  # warm caches (session, permissions) so the count below is the page's
    with django_assert_max_num_queries(9):
        body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    make_orgs(anna, [3, 4, 5])
    activity_create(actor=anna, data={"type": "note", "subject": "More", "person_ids": []})
    with django_assert_max_num_queries(9):
        client.get("/")
    svg = re.search(r'<svg class="bar-chart".*?</svg>', body, re.S).group(0)
    bars = re.findall(r'<rect class="bar"[^>]*height="(\d+)" data-month="([\d-]+)"', svg)
    assert [m for _h, m in bars] == [month_start(a).strftime("%Y-%m") for a in range(11, -1, -1)]
    heights = [int(h) for h, _m in bars]
    assert heights[-2] == 120 and heights[-3] == 60 and heights[-1] == 30
    assert heights[:-3] == [0] * 9
    assert "style=" not in body
    table = re.search(r'<table class="chart-data">.*?</table>', body, re.S).group(0)
    cells = re.findall(r"<td>(\d+)</td>", table)
    assert cells == ["0"] * 9 + ["2", "4", "1"]
    assert 'href="/tasks/"' in body
    assert "Met at the fair" in body


def test_month_labels_follow_the_language(world):
    anna = world.people["anna"]
    client = client_for(anna)
    with translation.override("de"):
        body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    label = month_start(0)
    german = {11: "Nov.", 12: "Dez.", 1: "Jan.", 3: "März", 10: "Okt."}
    if label.month in german:
        assert f"{german[label.month]} {label.year}" in body
    assert "Neue Organisationen pro Monat" in body
