"""The permission matrix of the catalogue's routes, generated from the registered API routes.

Every operation under /catalog must have an entry in EXPECTED (the meta-test fails otherwise).
The catalogue has no owner: anyone with a read level on "product" reads all of it, only the
level "all" changes it, and a caller without any read level gets 404 (no existence leak).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kundenwert.catalog.services import price_list_archive, product_archive, tax_rate_archive
from tests.catalog import api_world
from tests.catalog.api_world import Catalog, catalog_state, denials

from .conftest import LIVE, PROBLEM_KEYS, api_routes

pytestmark = LIVE
catalog = api_world.catalog  # the fixture

READ, DENIED = 200, 403
PREFIX = "/catalog"


@dataclass(frozen=True)
class Object:
    """Expected statuses on a catalogue record for each kind of caller.

    sales: anna (sales) with a full token; ro_token: mia (manager, may edit) with her read-only
    token; ro_role: vera (read-only role); outsider: olga, no level on the catalogue.
    """

    sales: int = DENIED
    ro_token: int = DENIED
    ro_role: int = DENIED
    outsider: int = 404
    anonymous: int = 401


@dataclass(frozen=True)
class Collection:
    """Expected statuses on a list or create endpoint."""

    sales: int
    ro_token: int
    outsider: int
    anonymous: int = 401
    body: dict | str | None = None


READER = Object(sales=READ, ro_token=READ, ro_role=READ)
WRITE = Object()
LIST = Collection(sales=READ, ro_token=READ, outsider=READ)


def _create(body) -> Collection:
    return Collection(sales=DENIED, ro_token=DENIED, outsider=DENIED, body=body)


CSV = "currency,date,rate\nGBP,2026-01-02,0.85\n"

EXPECTED: dict[str, Object | Collection] = {
    "GET /catalog/products": LIST,
    "POST /catalog/products": _create({"sku": "NEU-1", "name_de": "Neu"}),
    "GET /catalog/products/{product_id}": READER,
    "PATCH /catalog/products/{product_id}": WRITE,
    "DELETE /catalog/products/{product_id}": WRITE,
    "POST /catalog/products/{product_id}/restore": WRITE,
    "GET /catalog/tax-rates": LIST,
    "POST /catalog/tax-rates": _create({"name": "Neu 5 %", "rate": "5"}),
    "GET /catalog/tax-rates/{tax_rate_id}": READER,
    "PATCH /catalog/tax-rates/{tax_rate_id}": WRITE,
    "DELETE /catalog/tax-rates/{tax_rate_id}": WRITE,
    "POST /catalog/tax-rates/{tax_rate_id}/restore": WRITE,
    "GET /catalog/price-lists": LIST,
    "POST /catalog/price-lists": _create({"name": "Neu", "currency": "EUR"}),
    "GET /catalog/price-lists/{price_list_id}": READER,
    "PATCH /catalog/price-lists/{price_list_id}": WRITE,
    "DELETE /catalog/price-lists/{price_list_id}": WRITE,
    "POST /catalog/price-lists/{price_list_id}/restore": WRITE,
    "GET /catalog/price-lists/{price_list_id}/prices": READER,
    "PUT /catalog/price-lists/{price_list_id}/prices/{product_id}": WRITE,
    "DELETE /catalog/price-lists/{price_list_id}/prices/{product_id}": WRITE,
    "GET /catalog/exchange-rates": LIST,
    "POST /catalog/exchange-rates": _create(
        {"currency": "GBP", "date": "2026-01-02", "rate": "0.85"}
    ),
    "POST /catalog/exchange-rates/import": _create(CSV),
}

# A harmless, valid body per write, so that a refusal cannot come from validation.
BODIES = {
    "PATCH /catalog/products/{product_id}": {"name_de": "Geändert"},
    "PATCH /catalog/tax-rates/{tax_rate_id}": {"rate": "8"},
    "PATCH /catalog/price-lists/{price_list_id}": {"name": "Geändert"},
    "PUT /catalog/price-lists/{price_list_id}/prices/{product_id}": {"unit_price": "99.00"},
}

ROUTES = sorted(f"{m} {p}" for m, p in api_routes() if p.startswith(PREFIX))
OBJECT_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Object)]
COLLECTION_ROUTES = [r for r in ROUTES if isinstance(EXPECTED.get(r), Collection)]


def test_every_catalogue_route_has_an_expectation():
    missing = [r for r in ROUTES if r not in EXPECTED]
    assert not missing, f"Add these routes to EXPECTED in {__file__}: {missing}"
    stale = sorted(set(EXPECTED) - set(ROUTES))
    assert not stale, f"EXPECTED lists routes that no longer exist: {stale}"
    assert [r for r in ROUTES if "{" in r] == OBJECT_ROUTES
    assert len(OBJECT_ROUTES) + len(COLLECTION_ROUTES) == len(ROUTES) == 24


def _path(route: str, world: Catalog) -> str:
    template = route.split(" ", 1)[1]
    return template.format(
        product_id=world.product.pk,
        tax_rate_id=world.tax_rate.pk,
        price_list_id=world.price_list.pk,
    )


def _archive_first(world: Catalog, route: str) -> None:
    """Archive the target of a restore, so that a wrongly allowed restore would change it."""
    if not route.endswith("/restore"):
        return
    admin = world.people["admin"]
    if "/products/" in route:
        product_archive(actor=admin, product_id=world.product.pk)
    elif "/tax-rates/" in route:
        tax_rate_archive(actor=admin, tax_rate_id=world.tax_rate.pk)
    else:
        price_list_archive(actor=admin, price_list_id=world.price_list.pk)


def _send(api, method: str, path: str, token: str | None, body):
    if isinstance(body, str):
        return api.request(
            method, path, token=token, data=body.encode(), headers={"Content-Type": "text/csv"}
        )
    return api.request(method, path, token=token, json=body)


@pytest.mark.parametrize("route", OBJECT_ROUTES)
def test_object_endpoint(route, api, catalog):
    expected = EXPECTED[route]
    method = route.split(" ", 1)[0]
    path = _path(route, catalog)
    _archive_first(catalog, route)
    body = BODIES.get(route)
    callers = {
        "anonymous": (None, expected.anonymous),
        "sales": (catalog.tokens["anna"], expected.sales),
        "ro_token": (catalog.tokens["mia_ro"], expected.ro_token),
        "ro_role": (catalog.tokens["vera"], expected.ro_role),
        "outsider": (catalog.tokens["olga"], expected.outsider),
    }
    failures = []
    for who, (token, status) in callers.items():
        before, denied_before = catalog_state(), denials()
        response = _send(api, method, path, token, body)
        if response.status_code != status:
            failures.append(f"{who}: {response.status_code} (want {status}): {response.text[:200]}")
        if catalog_state() != before:
            failures.append(f"{who}: catalogue rows changed")
        if status >= 400 and set(response.json()) != PROBLEM_KEYS:
            failures.append(f"{who}: error body keys {sorted(response.json())}")
        if status == 403 and denials() != denied_before + 1:
            failures.append(f"{who}: {denials() - denied_before} permission_denied events, want 1")
    assert not failures, f"{route} -> {path}:\n" + "\n".join(failures)


def test_collection_endpoints(api, catalog):
    failures = []
    for route in COLLECTION_ROUTES:
        expected = EXPECTED[route]
        method, path = route.split(" ", 1)
        for who, token, status in (
            ("anonymous", None, expected.anonymous),
            ("sales", catalog.tokens["anna"], expected.sales),
            ("ro_token", catalog.tokens["mia_ro"], expected.ro_token),
            ("outsider", catalog.tokens["olga"], expected.outsider),
        ):
            before, denied_before = catalog_state(), denials()
            response = _send(api, method, path, token, expected.body)
            if response.status_code != status:
                failures.append(f"{route} {who}: {response.status_code} (want {status}): "
                                f"{response.text[:200]}")  # fmt: skip
            if catalog_state() != before:
                failures.append(f"{route} {who}: catalogue rows changed")
            if status >= 400 and set(response.json()) != PROBLEM_KEYS:
                failures.append(f"{route} {who}: error body keys {sorted(response.json())}")
            if status == 403 and denials() != denied_before + 1:
                failures.append(f"{route} {who}: no permission_denied event")
            if who == "outsider" and status == READ and response.json()["items"]:
                failures.append(f"{route} {who}: sees {len(response.json()['items'])} rows")
    assert not failures, "\n".join(failures)


def test_the_writers_bodies_succeed(api, catalog):
    """The matrix's bodies are valid: for a catalogue editor each write goes through."""
    token = catalog.tokens["mia"]
    for route in [*BODIES, *(r for r in COLLECTION_ROUTES if r.startswith("POST"))]:
        method = route.split(" ", 1)[0]
        body = BODIES[route] if route in BODIES else EXPECTED[route].body
        response = _send(api, method, _path(route, catalog), token, body)
        assert response.status_code in (200, 201), f"{route}: {response.text[:300]}"
