"""Query-count guards: a list page costs the same number of queries at 2 rows as at 50.

Measured in-process with Django's test client (same thread, same connection), against a
committed baseline per endpoint: a change that adds a query per page must update BASELINE on
purpose; one that adds a query per row fails the constancy check.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kundenwert.activities.services import activity_create
from kundenwert.contacts.services import affiliation_create, organization_create, person_create
from kundenwert.identity.models import User
from kundenwert.org.models import Role, Team
from tests.conftest import issue_token

ROWS = 50

# Queries per page, the same on SQLite and PostgreSQL: the token (with its user), the viewer's
# permissions, the page itself and one query per related set (tags, links, members, roles).
# Steady state: the token query, then the page (with tags) — permissions come from the cache
# keyed by the user's permissions_key (kundenwert/org/policies.py).
BASELINE = {
    "/organizations": 2,
    "/people": 2,
    "/affiliations": 2,
    "/activities": 4,
    "/activities/my-tasks": 4,
    "/audit": 2,
    "/teams": 3,
    "/users": 4,
    "/organizations/{org}/timeline": 7,
    "/people/{person}/timeline": 7,
    "/search?q=firma": 3,
}


def _build(people) -> dict:
    """Create ROWS of everything, all visible to anna (sales, Nord) and to the administrator."""
    anna = people["anna"]
    nord = Team.objects.get(name="Nord")
    sales = Role.objects.get(key="sales")
    hub = organization_create(actor=anna, data={"name": "Firma Hub", "tags": ["hub", "x"]})
    star = person_create(actor=anna, data={"last_name": "Stern", "tags": ["hub"]})
    due = dt.datetime(2020, 1, 1, 9, tzinfo=dt.UTC)
    for i in range(ROWS):
        org = organization_create(actor=anna, data={"name": f"Firma {i}", "tags": [f"t{i}", "all"]})
        person = person_create(actor=anna, data={"last_name": f"Firma {i}", "tags": [f"t{i}"]})
        affiliation_create(actor=anna, person_id=person.pk, organization_id=org.pk, role="CEO")
        activity_create(
            actor=anna,
            data={"type": "task", "subject": f"Task {i}", "due_at": due + dt.timedelta(days=i),
                  "organization_ids": [hub.pk, org.pk], "person_ids": [star.pk, person.pk]},
        )  # fmt: skip
        team = Team.objects.create(name=f"Team {i}")
        user = User.objects.create_user(username=f"user{i}", password="x")
        team.members.add(user, anna)
        sales.users.add(user)
        nord.members.add(user)
    return {"org": hub.pk, "person": star.pk}


def _count(client: Client, path: str, token: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


def _rows(body) -> int:
    return len(body["items"]) if "items" in body else len(body["people"])


@pytest.mark.django_db
def test_list_pages_cost_a_constant_number_of_queries(people):
    ids = _build(people)
    client = Client()
    tokens = {"admin": issue_token(people["admin"]), "anna": issue_token(people["anna"])}
    for token in tokens.values():  # touch last_used_at now, not inside a measurement
        client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    measured, failures = {}, []
    for template in BASELINE:
        path = template.format(**ids)
        # "My tasks" are anna's (the assignee); everything else is read by the administrator.
        token = tokens["anna" if "my-tasks" in path else "admin"]
        joiner = "&" if "?" in path else "?"
        small, small_body = _count(client, f"{path}{joiner}limit=2", token)
        large, large_body = _count(client, f"{path}{joiner}limit={ROWS}", token)
        assert (_rows(small_body), _rows(large_body)) == (2, ROWS), path
        measured[template] = large
        if small != large:
            failures.append(f"{template}: {small} queries for 2 rows, {large} for {ROWS}")
    assert not failures, "\n".join(failures)
    assert measured == BASELINE, f"measured: {measured}"
