"""The permission matrix of the orders, invoices and subscriptions routes, from the routes.

Same rules as test_permission_matrix.py: every operation under /orders, /invoices and
/subscriptions must have an entry in EXPECTED, and each object route is tried by a user of
another team, by a read-only token, by a read-only role and anonymously — with the expected
status, a problem body, one permission_denied event per refused write, and no row changed.
"""

from __future__ import annotations

import pytest

from kundenwert.orders.services import order_deliver
from tests.api.test_permission_matrix import READ, WRITE, Collection, Object
from tests.orders.api_world import DAY, sales_books  # noqa: F401 - a fixture
from tests.orders.factories import order_rows

from .conftest import LIVE, PROBLEM_KEYS, World, api_routes, denials, state

pytestmark = LIVE

PREFIXES = ("/orders", "/invoices", "/subscriptions")


def _reader(target: str) -> Object:
    return Object(target, ro_token=READ, ro_role=READ)


EXPECTED: dict[str, Object | Collection] = {
    "GET /orders": Collection(READ),
    "POST /orders": Collection(WRITE, body={"lines": [{"quantity": "1"}]}),
    "GET /orders/{order_id}": _reader("order"),
    "PATCH /orders/{order_id}": Object("order"),
    "POST /orders/{order_id}/cancel": Object("order"),
    "POST /orders/{order_id}/deliver": Object("order"),
    "POST /orders/{order_id}/invoice": Object("order"),
    "GET /invoices": Collection(READ),
    "GET /invoices/{invoice_id}": _reader("invoice"),
    "DELETE /invoices/{invoice_id}": Object("draft"),
    "POST /invoices/{invoice_id}/issue": Object("draft"),
    "POST /invoices/{invoice_id}/credit-note": Object("invoice"),
    "GET /invoices/{invoice_id}/payments": _reader("invoice"),
    "POST /invoices/{invoice_id}/payments": Object("invoice"),
    "GET /subscriptions": Collection(READ),
    "POST /subscriptions": Collection(WRITE, body={"description": "Refused", "amount": "1"}),
    "GET /subscriptions/mrr": Collection(READ),
    "GET /subscriptions/{subscription_id}": _reader("subscription"),
    "PATCH /subscriptions/{subscription_id}": Object("subscription"),
    "POST /subscriptions/{subscription_id}/cancel": Object("subscription"),
    "POST /subscriptions/{subscription_id}/renew": Object("subscription"),
}

ROUTES = sorted(
    f"{method} {path}" for method, path in api_routes() if path.startswith(PREFIXES)
)  # fmt: skip
OBJECT_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Object)]
COLLECTION_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Collection)]


def test_every_orders_route_has_an_expectation():
    missing = [r for r in ROUTES if r not in EXPECTED]
    assert not missing, f"Add these routes to EXPECTED in {__file__}: {missing}"
    stale = sorted(set(EXPECTED) - set(ROUTES))
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"
    assert [r for r in ROUTES if "{" in r] == OBJECT_ROUTES
    assert len(ROUTES) == 21


def _path(route: str, books) -> str:
    template = route.split(" ", 1)[1]
    target = {
        "order": books.order,
        "invoice": books.invoice,
        "draft": books.draft,
        "subscription": books.subscription,
    }[EXPECTED[route].target]
    return template.format(order_id=target.pk, invoice_id=target.pk, subscription_id=target.pk)


def _body(route: str) -> dict | None:
    """A harmless, valid body per write, so that a refusal cannot come from validation."""
    method, template = route.split(" ", 1)
    if method == "PATCH":
        return {"notes": "Changed"} if template.startswith("/orders") else {"amount": "31.00"}
    if template.endswith("/cancel"):
        return {"reason": "Refused"}
    if template.endswith("/payments"):
        return {"amount": "10.00", "paid_on": DAY.isoformat()}
    if template.endswith(("/invoice", "/issue", "/credit-note")):
        return {}
    return None


def _everything(world: World) -> tuple:
    return state(world), order_rows()


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_object_endpoint(route, api, world, sales_books):  # noqa: F811 - the fixture
    expected = EXPECTED[route]
    method = route.split(" ", 1)[0]
    path = _path(route, sales_books)
    body = _body(route)
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


def test_a_sales_rep_may_change_her_order_but_not_bill_it(api, world, sales_books):  # noqa: F811
    anna = world.tokens["anna"]
    for route in ("PATCH /orders/{order_id}", "POST /subscriptions/{subscription_id}/renew"):
        response = api.request(
            route.split(" ")[0], _path(route, sales_books), token=anna, json=_body(route)
        )
        assert response.status_code == 200, f"{route}: {response.text[:200]}"
    for route in (
        "POST /orders/{order_id}/invoice",
        "POST /invoices/{invoice_id}/issue",
        "POST /invoices/{invoice_id}/payments",
        "POST /invoices/{invoice_id}/credit-note",
        "DELETE /invoices/{invoice_id}",
    ):
        before, denied_before = _everything(world), denials()
        response = api.request(
            route.split(" ")[0], _path(route, sales_books), token=anna, json=_body(route)
        )
        assert response.status_code == 403, f"{route}: {response.text[:200]}"
        assert _everything(world) == before
        assert denials() == denied_before + 1


def test_the_manager_may_bill(api, world, sales_books):  # noqa: F811
    mia = world.tokens.setdefault("mia", _token(world, "mia"))
    order_deliver(actor=world.people["anna"], order_id=sales_books.order.pk)
    for route, status in (
        ("POST /orders/{order_id}/invoice", 201),
        ("POST /invoices/{invoice_id}/issue", 200),
        ("POST /invoices/{invoice_id}/payments", 201),
        ("POST /invoices/{invoice_id}/credit-note", 201),
    ):
        response = api.request(
            route.split(" ")[0], _path(route, sales_books), token=mia, json=_body(route)
        )
        assert response.status_code == status, f"{route}: {response.text[:200]}"


def _token(world: World, name: str) -> str:
    from tests.conftest import issue_token

    return issue_token(world.people[name])


def test_collection_endpoints(api, world, sales_books):  # noqa: F811
    """Lists and creates: anonymous → 401; anna's read-only token reads, cannot write."""
    failures = []
    for route in COLLECTION_ROUTES:
        expected = EXPECTED[route]
        method, path = route.split(" ", 1)
        body = expected.body
        if body is not None:
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


@pytest.mark.parametrize("path", ["/orders", "/invoices", "/subscriptions"])
def test_other_teams_do_not_see_annas_records(path, api, world, sales_books):  # noqa: F811
    ben = api.get(path, token=world.tokens["ben"]).json()
    vera = api.get(path, token=world.tokens["vera"]).json()
    assert ben == {"items": [], "next_cursor": None}
    assert len(vera["items"]) == {"/orders": 3, "/invoices": 2, "/subscriptions": 1}[path]
    mrr = api.get("/subscriptions/mrr?on=2026-04-01", token=world.tokens["ben"]).json()
    assert mrr["total"] == "0.00"
