"""The permission matrix of the pipelines and deals routes, generated from the registered routes.

Same rules as test_permission_matrix.py (which covers the other resources): every operation under
/pipelines and /deals must have an entry in EXPECTED, and each object route is tried by a user of
another team, by a read-only token, by a read-only role and anonymously — with the expected
status, a problem body, one permission_denied event per refused write, and no row changed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kundenwert.sales.services import deal_archive, deal_create, pipeline_archive, pipeline_create
from tests.api.test_permission_matrix import READ, WRITE, Collection, Object
from tests.sales.factories import default_pipeline, sales_rows, stages

from .conftest import LIVE, PROBLEM_KEYS, World, api_routes, denials, state

pytestmark = LIVE

PREFIXES = ("/pipelines", "/deals")


def _reader(target: str, other_team: int = 404) -> Object:
    return Object(target, other_team=other_team, ro_token=READ, ro_role=READ)


# Pipelines and stages are configuration: readable by every deal reader, changed by
# administrators only (ben, a salesman of another team, gets 403 there, not 404).
CONFIG = Object("pipeline", other_team=WRITE)

EXPECTED: dict[str, Object | Collection] = {
    "GET /pipelines": Collection(READ),
    "POST /pipelines": Collection(WRITE, body={"name": "Refused"}),
    "GET /pipelines/{pipeline_id}": _reader("pipeline", other_team=READ),
    "PATCH /pipelines/{pipeline_id}": CONFIG,
    "DELETE /pipelines/{pipeline_id}": CONFIG,
    "POST /pipelines/{pipeline_id}/restore": CONFIG,
    "GET /pipelines/{pipeline_id}/board": _reader("pipeline", other_team=READ),
    "POST /pipelines/{pipeline_id}/stages": CONFIG,
    "PATCH /pipelines/{pipeline_id}/stages/{stage_id}": CONFIG,
    "DELETE /pipelines/{pipeline_id}/stages/{stage_id}": CONFIG,
    "PUT /pipelines/{pipeline_id}/stage-order": CONFIG,
    "GET /deals": Collection(READ),
    "POST /deals": Collection(WRITE, body={"title": "Refused"}),
    "GET /deals/{deal_id}": _reader("deal"),
    "PATCH /deals/{deal_id}": Object("deal"),
    "DELETE /deals/{deal_id}": Object("deal"),
    "POST /deals/{deal_id}/restore": Object("deal"),
    "POST /deals/{deal_id}/move": Object("deal"),
    "GET /deals/{deal_id}/history": _reader("deal"),
}

ROUTES = sorted(
    f"{method} {path}" for method, path in api_routes() if path.startswith(PREFIXES)
)  # fmt: skip
OBJECT_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Object)]
COLLECTION_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Collection)]


def test_every_sales_route_has_an_expectation():
    missing = [r for r in ROUTES if r not in EXPECTED]
    assert not missing, f"Add these routes to EXPECTED in {__file__}: {missing}"
    stale = sorted(set(EXPECTED) - set(ROUTES))
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"
    assert [r for r in ROUTES if "{" in r] == OBJECT_ROUTES
    assert len(ROUTES) == 19


@pytest.fixture
def sales(world: World) -> dict:
    """anna's deal in the default pipeline, and a second pipeline without deals to configure."""
    renewals = pipeline_create(actor=world.people["admin"], data={"name": "Renewals"})
    deal = deal_create(
        actor=world.people["anna"],
        data={"title": "Rollout", "organization_id": world.org.pk, "amount": Decimal("100.00")},
    )
    return {
        "deal": deal,
        "pipeline": renewals,
        "stage": renewals.stages.get(name="Needs analysis"),
        "target": stages(default_pipeline())["Proposal"],
    }


def _path(template: str, sales: dict) -> str:
    return template.format(
        pipeline_id=sales["pipeline"].pk, stage_id=sales["stage"].pk, deal_id=sales["deal"].pk
    )


def _body(route: str, sales: dict) -> dict | None:
    """A harmless, valid body per write, so that a refusal cannot come from validation."""
    method, template = route.split(" ", 1)
    if method == "PATCH":
        return {"title": "Changed"} if template.startswith("/deals") else {"name": "Changed"}
    if template.endswith("/move"):
        return {"stage_id": sales["target"].pk}
    if template.endswith("/stages"):
        return {"name": "Refused"}
    if template.endswith("/stage-order"):
        ids = list(
            sales["pipeline"]
            .stages.order_by("position")
            .values_list("pk", flat=True)
        )  # fmt: skip
        return {"stage_ids": list(reversed(ids))}
    return None


def _archive_first(route: str, sales: dict, admin) -> None:
    """Archive the target of a restore, so that a wrongly allowed restore would change it."""
    if route == "POST /deals/{deal_id}/restore":
        deal_archive(actor=admin, deal_id=sales["deal"].pk)
    elif route == "POST /pipelines/{pipeline_id}/restore":
        pipeline_archive(actor=admin, pipeline_id=sales["pipeline"].pk)


def _everything(world: World) -> tuple:
    return state(world), sales_rows()


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_object_endpoint(route, api, world, sales):
    expected = EXPECTED[route]
    method = route.split(" ", 1)[0]
    path = _path(route.split(" ", 1)[1], sales)
    _archive_first(route, sales, world.people["admin"])
    body = _body(route, sales)
    actors = {
        "anonymous": (None, expected.anonymous),
        "other_team": (world.tokens["ben"], expected.other_team),
        "ro_token": (world.tokens["anna_ro"], expected.ro_token),
        "ro_role": (world.tokens["vera"], expected.ro_role),
    }
    failures = []
    for who, (token, status) in actors.items():
        before, denied_before = _everything(world), denials()
        response = api.request(method, path, token=token, json=body)
        if response.status_code != status:
            failures.append(f"{who}: {response.status_code} (want {status}): {response.text[:200]}")
        if _everything(world) != before:
            failures.append(f"{who}: rows changed")
        if status >= 400 and set(response.json()) != PROBLEM_KEYS:
            failures.append(f"{who}: error body keys {sorted(response.json())}")
        if status == 403 and method != "GET" and denials() != denied_before + 1:
            failures.append(f"{who}: {denials() - denied_before} permission_denied events, want 1")
    assert not failures, f"{route} -> {path}:\n" + "\n".join(failures)


def test_the_owner_and_an_administrator_may_write(api, world, sales):
    """The matrix is not vacuous: the same requests succeed for those allowed to make them."""
    for route, token in (
        ("POST /deals/{deal_id}/move", world.tokens["anna"]),
        ("PATCH /deals/{deal_id}", world.tokens["anna"]),
        ("PATCH /pipelines/{pipeline_id}", world.tokens["admin"]),
        ("PUT /pipelines/{pipeline_id}/stage-order", world.tokens["admin"]),
        ("PATCH /pipelines/{pipeline_id}/stages/{stage_id}", world.tokens["admin"]),
    ):
        method, template = route.split(" ", 1)
        response = api.request(
            method, _path(template, sales), token=token, json=_body(route, sales)
        )
        assert response.status_code == 200, f"{route}: {response.text[:200]}"


def test_collection_endpoints(api, world, sales):
    """Lists and creates: anonymous → 401; anna's read-only token reads, cannot write."""
    failures = []
    for route in COLLECTION_ROUTES:
        expected = EXPECTED[route]
        method, path = route.split(" ", 1)
        body = expected.body
        if body is not None and path == "/deals":
            body = {**body, "organization_id": world.org.pk}
        for who, token, status in (
            ("anonymous", None, expected.anonymous),
            ("ro_token", world.tokens["anna_ro"], expected.ro_token),
        ):
            before, denied_before = _everything(world), denials()
            response = api.request(method, path + expected.query, token=token, json=body)
            if response.status_code != status:
                failures.append(f"{route} {who}: {response.status_code} (want {status})")
            if _everything(world) != before:
                failures.append(f"{route} {who}: rows changed")
            if status >= 400 and set(response.json()) != PROBLEM_KEYS:
                failures.append(f"{route} {who}: error body keys {sorted(response.json())}")
            if status == 403 and method == "POST" and denials() != denied_before + 1:
                failures.append(f"{route} {who}: no permission_denied event")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/deals", "/pipelines/{pipeline_id}/board"])
def test_other_teams_do_not_see_annas_deals(path, api, world, sales):
    path = path.format(pipeline_id=default_pipeline().pk)
    ben = api.get(path, token=world.tokens["ben"]).json()
    anna = api.get(path, token=world.tokens["anna"]).json()
    if path == "/deals":
        assert ben == {"items": [], "next_cursor": None}
        assert [d["id"] for d in anna["items"]] == [sales["deal"].pk]
    else:
        assert sum(c["count"] for c in ben["columns"]) == 0
        assert sum(c["count"] for c in anna["columns"]) == 1
