"""The permission matrix of the leads routes, generated from the registered routes.

Same rules as test_permission_matrix.py (which covers the other resources): every operation under
/leads must have an entry in EXPECTED, and each object route is tried on anna's lead and on a
lead in the intake pool of team Nord by a user of another team, by a read-only token, by a
read-only role and anonymously — with the expected status, a problem body, one
permission_denied event per refused write, and no row changed. The public form's routes need no
credentials: they are checked for exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.sales.leads import lead_archive
from kundenwert.sales.models import Lead
from tests.api.test_permission_matrix import READ, WRITE, Collection, Object
from tests.sales.lead_factories import lead, lead_rows, public_lead, sales_rows

from .conftest import LIVE, PROBLEM_KEYS, World, api_routes, denials, state

pytestmark = LIVE

PREFIXES = ("/leads",)


@dataclass(frozen=True)
class Public:
    """A route of the public web form: anybody, without credentials, gets `status`."""

    status: int


def _reader(target: str = "lead") -> Object:
    return Object(target, ro_token=READ, ro_role=READ)


EXPECTED: dict[str, Object | Collection | Public] = {
    "GET /leads": Collection(READ),
    "POST /leads": Collection(WRITE, body={"name": "Refused"}),
    "POST /leads/public": Public(202),
    "OPTIONS /leads/public": Public(204),
    "GET /leads/{lead_id}": _reader(),
    "PATCH /leads/{lead_id}": Object("lead"),
    "DELETE /leads/{lead_id}": Object("lead"),
    "POST /leads/{lead_id}/restore": Object("lead"),
    "POST /leads/{lead_id}/qualify": Object("lead"),
    "POST /leads/{lead_id}/disqualify": Object("lead"),
    "POST /leads/{lead_id}/convert": Object("lead"),
    "GET /leads/{lead_id}/candidates": _reader(),
}

ROUTES = sorted(
    f"{method} {path}" for method, path in api_routes() if path.startswith(PREFIXES)
)  # fmt: skip
OBJECT_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Object)]
COLLECTION_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Collection)]
PUBLIC_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Public)]


def test_every_leads_route_has_an_expectation():
    missing = [r for r in ROUTES if r not in EXPECTED]
    assert not missing, f"Add these routes to EXPECTED in {__file__}: {missing}"
    stale = sorted(set(EXPECTED) - set(ROUTES))
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"
    assert [r for r in ROUTES if "{" in r] == OBJECT_ROUTES
    assert len(ROUTES) == 12


@pytest.fixture
def leads(world: World, settings) -> dict[str, Lead]:
    """anna's own lead, and one in the intake pool of her team (Nord)."""
    settings.LEAD_INTAKE_TEAM = "Nord"
    return {
        "own": lead(world.people["anna"], "Petra Paulsen", company="Leuchtfeuer KG"),
        "pooled": public_lead("Olaf Ostwind", "olaf@ostwind.example", company="Ostwind AG"),
    }


# A harmless, valid body per write, so that a refusal cannot come from validation.
BODIES = {
    "PATCH /leads/{lead_id}": {"name": "Changed"},
    "POST /leads/{lead_id}/disqualify": {"reason": "Refused"},
    "POST /leads/{lead_id}/convert": {},
}


def _everything(world: World) -> tuple:
    return state(world), sales_rows(), lead_rows()


@pytest.mark.parametrize("which", ["own", "pooled"])
@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_object_endpoint(route, which, api, world, leads):
    expected = EXPECTED[route]
    method, template = route.split(" ", 1)
    target = leads[which]
    path = template.format(lead_id=target.pk)
    if route.endswith("/restore"):  # so that a wrongly allowed restore would change it
        lead_archive(actor=world.people["admin"], lead_id=target.pk)
    actors = {
        "anonymous": (None, expected.anonymous),
        "other_team": (world.tokens["ben"], expected.other_team),
        "ro_token": (world.tokens["anna_ro"], expected.ro_token),
        "ro_role": (world.tokens["vera"], expected.ro_role),
    }
    failures = []
    for who, (token, status) in actors.items():
        before, denied_before = _everything(world), denials()
        response = api.request(method, path, token=token, json=BODIES.get(route))
        if response.status_code != status:
            failures.append(f"{who}: {response.status_code} (want {status}): {response.text[:200]}")
        if _everything(world) != before:
            failures.append(f"{who}: rows changed")
        if status >= 400 and set(response.json()) != PROBLEM_KEYS:
            failures.append(f"{who}: error body keys {sorted(response.json())}")
        if status == 403 and method != "GET" and denials() != denied_before + 1:
            failures.append(f"{who}: {denials() - denied_before} permission_denied events, want 1")
    assert not failures, f"{route} -> {path}:\n" + "\n".join(failures)


@pytest.mark.parametrize("which", ["own", "pooled"])
def test_the_owner_or_the_pool_team_may_write(api, world, leads, which):
    """The matrix is not vacuous: the same requests succeed for anna (and carl on the pool)."""
    target = leads[which]
    for route in ("PATCH /leads/{lead_id}", "POST /leads/{lead_id}/qualify"):
        method, template = route.split(" ", 1)
        response = api.request(
            method,
            template.format(lead_id=target.pk),
            token=world.tokens["anna"],
            json=BODIES.get(route),
        )
        assert response.status_code == 200, f"{route}: {response.text[:200]}"
    response = api.post(f"/leads/{target.pk}/convert", token=world.tokens["anna"], json={})
    assert response.status_code == 200, response.text[:200]
    assert response.json()["owner_id"] == world.people["anna"].pk  # a pooled lead becomes hers


def test_collection_endpoints(api, world, leads):
    """Lists and creates: anonymous → 401; anna's read-only token reads, cannot write."""
    failures = []
    for route in COLLECTION_ROUTES:
        expected = EXPECTED[route]
        method, path = route.split(" ", 1)
        for who, token, status in (
            ("anonymous", None, expected.anonymous),
            ("ro_token", world.tokens["anna_ro"], expected.ro_token),
        ):
            before, denied_before = _everything(world), denials()
            response = api.request(method, path + expected.query, token=token, json=expected.body)
            if response.status_code != status:
                failures.append(f"{route} {who}: {response.status_code} (want {status})")
            if _everything(world) != before:
                failures.append(f"{route} {who}: rows changed")
            if status >= 400 and set(response.json()) != PROBLEM_KEYS:
                failures.append(f"{route} {who}: error body keys {sorted(response.json())}")
            if status == 403 and method == "POST" and denials() != denied_before + 1:
                failures.append(f"{route} {who}: no permission_denied event")
    assert not failures, "\n".join(failures)


def test_public_routes_need_no_credentials_and_change_only_the_new_lead(api, world, leads):
    for route in PUBLIC_ROUTES:
        method, path = route.split(" ", 1)
        before, events_before = state(world), AuditEvent.objects.count()
        leads_before = Lead.objects.count()
        response = api.request(
            method, path, json={"name": "Neu", "email": "neu@example.com"}, token=None
        )
        assert response.status_code == EXPECTED[route].status, f"{route}: {response.text[:200]}"
        created = 1 if method == "POST" else 0
        assert Lead.objects.count() == leads_before + created, route
        assert AuditEvent.objects.count() == events_before + created, route
        assert state(world)["rows"] == before["rows"], route


@pytest.mark.parametrize("path", ["/leads", "/leads?unassigned=true"])
def test_other_teams_do_not_see_annas_or_her_teams_leads(path, api, world, leads):
    ben = api.get(path, token=world.tokens["ben"]).json()
    anna = api.get(path, token=world.tokens["anna"]).json()
    assert ben == {"items": [], "next_cursor": None}
    expected = [leads["pooled"].pk] + ([leads["own"].pk] if "unassigned" not in path else [])
    assert [item["id"] for item in anna["items"]] == expected
