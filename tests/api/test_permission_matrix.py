"""A permission matrix generated from the API's routes: who gets which status, and nothing changes.

Every registered operation must have an entry in EXPECTED (the meta-test fails otherwise), so a
new endpoint cannot ship without its permission expectations.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kundenwert.activities.services import activity_archive
from kundenwert.contacts.services import organization_archive, organization_create, person_archive

from .conftest import LIVE, PROBLEM_KEYS, World, api_routes, denials, state

pytestmark = LIVE

READ, WRITE = 200, 403


@dataclass(frozen=True)
class Object:
    """Expected statuses on one of anna's records (team Nord).

    anonymous: no credentials; other_team: ben (sales, Süd) with a full token;
    ro_token: anna's own token issued read-only; ro_role: vera (read-only role), full token.
    """

    target: str
    other_team: int = 404
    ro_token: int = WRITE
    ro_role: int = WRITE
    anonymous: int = 401


@dataclass(frozen=True)
class Collection:
    """Expected statuses on a list, create or other collection endpoint."""

    ro_token: int
    query: str = ""
    body: dict | None = None
    anonymous: int = 401


def _reader(target: str, other_team: int = 404) -> Object:
    return Object(target, other_team=other_team, ro_token=READ, ro_role=READ)


EXPECTED: dict[str, Object | Collection] = {
    "GET /organizations": Collection(READ),
    "POST /organizations": Collection(WRITE, body={"name": "Refused GmbH"}),
    "GET /organizations/{organization_id}": _reader("org"),
    "PATCH /organizations/{organization_id}": Object("org"),
    "DELETE /organizations/{organization_id}": Object("org"),
    "POST /organizations/{organization_id}/restore": Object("org"),
    "POST /organizations/{organization_id}/purge": Object("org"),
    "GET /organizations/{organization_id}/timeline": _reader("org"),
    "GET /people": Collection(READ),
    "POST /people": Collection(WRITE, body={"last_name": "Refused"}),
    "GET /people/{person_id}": _reader("person"),
    "PATCH /people/{person_id}": Object("person"),
    "DELETE /people/{person_id}": Object("person"),
    "POST /people/{person_id}/restore": Object("person"),
    "POST /people/{person_id}/purge": Object("person"),
    "GET /people/{person_id}/timeline": _reader("person"),
    "GET /affiliations": Collection(READ),
    "POST /affiliations": Collection(WRITE, body={"person_id": 0, "organization_id": 0}),
    "GET /affiliations/{affiliation_id}": _reader("affiliation"),
    "PATCH /affiliations/{affiliation_id}": Object("affiliation"),
    "DELETE /affiliations/{affiliation_id}": Object("affiliation"),
    "GET /activities": Collection(READ),
    "POST /activities": Collection(WRITE, body={"type": "note", "subject": "Refused"}),
    "GET /activities/my-tasks": Collection(READ),
    "GET /activities/{activity_id}": _reader("activity"),
    "PATCH /activities/{activity_id}": Object("activity"),
    "DELETE /activities/{activity_id}": Object("activity"),
    "POST /activities/{activity_id}/restore": Object("activity"),
    "POST /activities/{activity_id}/purge": Object("activity"),
    # The directory (teams, users) is visible to every signed-in user by design.
    "GET /teams": Collection(READ),
    "GET /teams/{team_id}": _reader("team", other_team=200),
    "GET /users": Collection(READ),
    "GET /users/me": Collection(READ),
    "GET /users/{user_id}": _reader("user", other_team=200),
    # The audit trail is for administrators only: a non-admin's read is a 403.
    "GET /audit": Collection(403),
    "GET /search": Collection(READ, query="?q=Nordlicht"),
}

# A harmless, valid body per write so that a refusal cannot come from validation.
PATCH_BODY = {
    "org": {"name": "Changed GmbH"},
    "person": {"last_name": "Changed"},
    "affiliation": {"role": "Changed"},
    "activity": {"subject": "Changed"},
}

# Resources with a matrix of their own (test_catalog_permission_matrix.py for /catalog,
# test_deals_permission_matrix.py for /pipelines and /deals, test_leads_permission_matrix.py for
# /leads, test_orders_permission_matrix.py for /orders, /invoices and /subscriptions), each with
# the same meta-tests.
OWN_MATRIX = (
    "/catalog",
    "/pipelines",
    "/deals",
    "/leads",
    "/orders",
    "/invoices",
    "/subscriptions",
)
ROUTES = sorted(
    f"{method} {path}" for method, path in api_routes() if not path.startswith(OWN_MATRIX)
)
OBJECT_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Object)]
COLLECTION_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Collection)]


def test_every_route_has_an_expectation():
    missing = [r for r in ROUTES if r not in EXPECTED]
    assert not missing, f"Add these routes to EXPECTED in {__file__}: {missing}"
    stale = sorted(set(EXPECTED) - set(ROUTES))
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"


def test_object_endpoints_are_exactly_the_routes_with_an_id():
    with_id = [r for r in ROUTES if "{" in r]
    assert with_id == OBJECT_ROUTES
    assert len(OBJECT_ROUTES) + len(COLLECTION_ROUTES) == len(ROUTES) == 36


def _target(world: World, name: str):
    return {
        "org": world.org,
        "person": world.person,
        "affiliation": world.affiliation,
        "activity": world.activity,
        "team": world.team,
        "user": world.people["anna"],
    }[name]


def _archive_first(world: World, route: str) -> None:
    """Archive the target of a restore, so that a wrongly allowed restore would change it."""
    admin = world.people["admin"]
    if route.startswith("POST /organizations/") and route.endswith("/restore"):
        organization_archive(actor=admin, organization_id=world.org.pk)
    elif route.startswith("POST /people/") and route.endswith("/restore"):
        person_archive(actor=admin, person_id=world.person.pk)
    elif route.startswith("POST /activities/") and route.endswith("/restore"):
        activity_archive(actor=admin, activity_id=world.activity.pk)


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_object_endpoint(route, api, world):
    expected = EXPECTED[route]
    method, template = route.split(" ", 1)
    target = _target(world, expected.target)
    path = template.split("{")[0] + str(target.pk) + template.split("}")[1]
    _archive_first(world, route)
    body = PATCH_BODY.get(expected.target) if method == "PATCH" else None
    actors = {
        "anonymous": (None, expected.anonymous),
        "other_team": (world.tokens["ben"], expected.other_team),
        "ro_token": (world.tokens["anna_ro"], expected.ro_token),
        "ro_role": (world.tokens["vera"], expected.ro_role),
    }
    failures = []
    for who, (token, status) in actors.items():
        before, denied_before = state(world), denials()
        response = api.request(method, path, token=token, json=body)
        after = state(world)
        if response.status_code != status:
            failures.append(f"{who}: {response.status_code} (want {status}): {response.text[:200]}")
        if after != before:
            failures.append(f"{who}: rows changed: {before} -> {after}")
        if status >= 400 and set(response.json()) != PROBLEM_KEYS:
            failures.append(f"{who}: error body keys {sorted(response.json())}")
        if status == 403 and method != "GET" and denials() != denied_before + 1:
            failures.append(f"{who}: {denials() - denied_before} permission_denied events, want 1")
    assert not failures, f"{route} -> {path}:\n" + "\n".join(failures)


def test_collection_endpoints(api, world):
    """Lists, creates and the rest: anonymous → 401; anna's read-only token reads, cannot write."""
    failures = []
    for route in COLLECTION_ROUTES:
        expected = EXPECTED[route]
        method, path = route.split(" ", 1)
        body = expected.body
        if body is not None and "person_id" in body:
            # A second organisation, so that only the token (not a duplicate) can refuse it.
            other = organization_create(actor=world.people["anna"], data={"name": "Zweit AG"})
            body = {"person_id": world.person.pk, "organization_id": other.pk}
        for who, token, status in (
            ("anonymous", None, expected.anonymous),
            ("ro_token", world.tokens["anna_ro"], expected.ro_token),
        ):
            before, denied_before = state(world), denials()
            response = api.request(method, path + expected.query, token=token, json=body)
            if response.status_code != status:
                failures.append(f"{route} {who}: {response.status_code} (want {status}): "
                                f"{response.text[:200]}")  # fmt: skip
            if state(world) != before:
                failures.append(f"{route} {who}: rows changed")
            if status >= 400 and set(response.json()) != PROBLEM_KEYS:
                failures.append(f"{route} {who}: error body keys {sorted(response.json())}")
            if status == 403 and method == "POST" and denials() != denied_before + 1:
                failures.append(f"{route} {who}: no permission_denied event")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "path", ["/organizations", "/people", "/affiliations", "/activities", "/search?q=Nordlicht"]
)
def test_other_team_lists_do_not_show_annas_records(path, api, world):
    ben = api.get(path, token=world.tokens["ben"])
    anna = api.get(path, token=world.tokens["anna"])
    assert ben.status_code == anna.status_code == 200
    if path.startswith("/search"):
        assert ben.json() == {"organizations": [], "people": []}
        assert [h["id"] for h in anna.json()["organizations"]] == [world.org.pk]
    else:
        assert ben.json() == {"items": [], "next_cursor": None}
        assert len(anna.json()["items"]) == 1


def test_audit_list_is_for_administrators(api, world):
    for who in ("anna", "ben", "vera", "anna_ro"):
        response = api.get("/audit", token=world.tokens[who])
        assert response.status_code == 403, who
        assert set(response.json()) == PROBLEM_KEYS
    admin = api.get("/audit", token=world.tokens["admin"])
    assert admin.status_code == 200
    assert {e["target_type"] for e in admin.json()["items"]} >= {
        "organization",
        "person",
        "activity",
    }


def test_every_route_is_in_one_matrix():
    from . import test_catalog_permission_matrix as catalog
    from . import test_deals_permission_matrix as deals
    from . import test_leads_permission_matrix as leads
    from . import test_orders_permission_matrix as orders

    everything = sorted(f"{method} {path}" for method, path in api_routes())
    covered = [*ROUTES, *catalog.ROUTES, *deals.ROUTES, *leads.ROUTES, *orders.ROUTES]
    assert sorted(covered) == everything
