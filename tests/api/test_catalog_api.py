"""The catalogue over real HTTP: shapes, money as strings, ETags, problems, imports, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kundenwert.catalog.models import ExchangeRate, Price, PriceList, Product, TaxRate
from kundenwert.catalog.services import CSV_MAX_BYTES
from tests.catalog import api_world
from tests.catalog.api_world import catalog_state, denials
from tests.catalog.factories import preset, product
from tests.conftest import issue_token

from .conftest import LIVE, PROBLEM_KEYS

pytestmark = LIVE
catalog = api_world.catalog  # the fixture
EN = {"Accept-Language": "en"}


def problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    return body


# --- products ------------------------------------------------------------------------------------


def test_create_then_get_a_product_with_money_as_strings(api, catalog):
    token = catalog.tokens["mia"]
    created = api.post(
        "/catalog/products",
        token=token,
        headers=EN,
        json={
            "sku": "ABO-M",
            "name_de": "Wartung",
            "name_en": "Maintenance",
            "cost_price": "12.5",
            "cost_currency": "usd",
            "is_recurring": True,
            "billing_period": "month",
            "tax_rate_id": preset("reduced").pk,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["ETag"] == f'"{body["id"]}-1"'
    assert body["name"] == "Maintenance"  # the request's language
    assert (body["cost_price"], body["cost_currency"], body["tax_rate"]) == ("12.50", "USD", "7.00")
    assert (body["is_recurring"], body["billing_period"], body["unit"]) == (True, "month", "piece")
    fetched = api.get(f"/catalog/products/{body['id']}", token=token, headers=EN)
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["ETag"] == created.headers["ETag"]
    german = api.get(f"/catalog/products/{body['id']}", token=token,
                     headers={"Accept-Language": "de"})  # fmt: skip
    assert german.json()["name"] == "Wartung"


def test_list_products_with_filters_and_paging(api, catalog):
    mia = catalog.people["mia"]
    for n in range(3):
        product(mia, f"X-{n}", f"Extra {n}", is_recurring=True, billing_period="year")
    token = catalog.tokens["anna"]  # sales may read the catalogue
    first = api.get("/catalog/products?recurring=true&sort=sku&limit=2", token=token)
    assert first.status_code == 200
    page = first.json()
    assert set(page) == {"items", "next_cursor"}
    assert [p["sku"] for p in page["items"]] == ["X-0", "X-1"]
    rest = api.get(
        "/catalog/products",
        token=token,
        params={"recurring": "true", "sort": "sku", "limit": 2, "cursor": page["next_cursor"]},
    )
    assert [p["sku"] for p in rest.json()["items"]] == ["X-2"]
    assert rest.json()["next_cursor"] is None
    found = api.get("/catalog/products?q=berat", token=token).json()["items"]
    assert [(p["sku"], p["cost_price"], p["tax_rate"]) for p in found] == [
        ("BER-1", "60.00", "19.00")
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?sort=price", "sort"), ("?recurring=vielleicht", "recurring"), ("?colour=red", "colour"),
     ("?q=a", "q"), ("?tax_rate=0", "tax_rate")],
)  # fmt: skip
def test_bad_list_parameters_are_400(api, catalog, query, field):
    body = problem(api.get(f"/catalog/products{query}", token=catalog.tokens["anna"]), 400)
    assert field in body["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sku": "F-1", "name_de": "x", "cost_price": 12.5}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "cost_price": 12}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "cost_price": "NaN"}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "cost_price": "Infinity"}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "cost_price": "1e3"}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "cost_price": "-1"}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "cost_price": "1.00001"}, "cost_price"),
        ({"sku": "F-1", "name_de": "x", "tax_rate_id": "1"}, "tax_rate_id"),
        ({"sku": "F-1", "name_de": "x", "is_recurring": True}, "billing_period"),
        ({"sku": "F-1", "name_de": "x", "billing_period": "week"}, "billing_period"),
        ({"sku": "F-1", "name_de": "x", "cost_currency": "EURO"}, "cost_currency"),
        ({"sku": "F-1", "name_de": "x", "colour": "red"}, "colour"),
        ({"sku": "ber-1", "name_de": "x"}, "sku"),
        ({"sku": "F-1"}, "name_de"),
        ({"name_de": "x"}, "sku"),
    ],
)
def test_bad_product_input_is_422_with_field_errors_and_writes_nothing(
    api, catalog, payload, field
):
    before = catalog_state()
    body = problem(api.post("/catalog/products", token=catalog.tokens["mia"], json=payload), 422)
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert catalog_state() == before


def test_json_nan_and_float_literals_are_refused(api, catalog):
    before = catalog_state()
    raw = '{"sku": "F-1", "name_de": "x", "cost_price": NaN}'
    response = api.post(
        "/catalog/products",
        token=catalog.tokens["mia"],
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert list(problem(response, 422)["errors"]) == ["cost_price"]
    path = f"/catalog/price-lists/{catalog.price_list.pk}/prices/{catalog.product.pk}"
    response = api.request("PUT", path, token=catalog.tokens["mia"], json={"unit_price": 99.99})
    assert list(problem(response, 422)["errors"]) == ["unit_price"]
    assert catalog_state() == before


def test_patch_with_if_match_then_stale(api, catalog):
    token = catalog.tokens["mia"]
    path = f"/catalog/products/{catalog.product.pk}"
    etag = api.get(path, token=token).headers["ETag"]
    ok = api.patch(path, token=token, json={"cost_price": "65.5"}, headers={"If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["cost_price"] == "65.50" and ok.json()["version"] == 2
    assert ok.headers["ETag"] == f'"{catalog.product.pk}-2"'
    before = catalog_state()
    stale = api.patch(path, token=token, json={"cost_price": "1"}, headers={"If-Match": etag})
    assert problem(stale, 412)["code"] == "precondition_failed"
    other = api.patch(path, token=token, json={"cost_price": "1"}, headers={"If-Match": '"999-2"'})
    problem(other, 412)
    assert catalog_state() == before


def test_delete_archives_and_restore_brings_back(api, catalog):
    token = catalog.tokens["admin"]
    path = f"/catalog/products/{catalog.product.pk}"
    archived = api.delete(path, token=token)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    assert api.get("/catalog/products", token=token).json()["items"] == []
    assert len(api.get("/catalog/products?archived=true", token=token).json()["items"]) == 1
    assert problem(api.patch(path, token=token, json={"unit": "day"}), 409)["code"] == "archived"
    restored = api.post(f"{path}/restore", token=token)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    assert Product.objects.get(pk=catalog.product.pk).version == 3


def test_sales_can_read_but_not_create_and_nothing_is_written(api, catalog):
    token = catalog.tokens["anna"]
    assert api.get(f"/catalog/products/{catalog.product.pk}", token=token).status_code == 200
    before, denied = catalog_state(), denials()
    response = api.post("/catalog/products", token=token, json={"sku": "N-1", "name_de": "Nein"},
                        headers=EN)  # fmt: skip
    body = problem(response, 403)
    assert body == {
        "code": "permission_denied",
        "detail": "You may not change the catalogue.",
        "errors": {},
    }
    assert catalog_state() == before and denials() == denied + 1


def test_unauthenticated_is_401(api, catalog):
    for method, path in (("GET", "/catalog/products"), ("POST", "/catalog/tax-rates"),
                         ("POST", "/catalog/exchange-rates/import")):  # fmt: skip
        response = api.request(method, path)
        assert problem(response, 401)["code"] == "not_authenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_malformed_ids(api, catalog):
    token = catalog.tokens["mia"]
    problem(api.get("/catalog/products/999999", token=token), 404)
    problem(api.get("/catalog/products/abc", token=token), 400)
    problem(api.get("/catalog/products/0", token=token), 400)
    problem(api.delete("/catalog/price-lists/999999", token=token), 404)


# --- tax rates -----------------------------------------------------------------------------------


def test_tax_rates_list_create_and_the_default_cannot_be_archived(api, catalog):
    token = catalog.tokens["admin"]
    listed = api.get("/catalog/tax-rates", token=token, headers=EN).json()["items"]
    assert [(r["rate"], r["is_default"], r["display_name"]) for r in listed] == [
        ("19.00", True, "Standard rate (19 %)"),
        ("7.00", False, "Reduced rate (7 %)"),
        ("0.00", False, "Tax-exempt (0 %)"),
    ]
    created = api.post("/catalog/tax-rates", token=token, json={"name": "Alt", "rate": "16"})
    assert created.status_code == 201 and created.json()["rate"] == "16.00"
    standard = preset("standard")
    refused = api.delete(f"/catalog/tax-rates/{standard.pk}", token=token)
    assert problem(refused, 409)["code"] == "default_tax_rate"
    new_default = api.patch(
        f"/catalog/tax-rates/{created.json()['id']}", token=token, json={"is_default": True}
    )
    assert new_default.status_code == 200 and new_default.json()["is_default"] is True
    assert api.delete(f"/catalog/tax-rates/{standard.pk}", token=token).status_code == 200
    assert TaxRate.objects.get(pk=standard.pk).archived_at is not None


# --- price lists and prices ----------------------------------------------------------------------


def test_price_list_and_prices_round_trip(api, catalog):
    token = catalog.tokens["mia"]
    created = api.post(
        "/catalog/price-lists",
        token=token,
        json={"name": "Yen", "currency": "jpy", "valid_from": "2026-01-01",
              "valid_until": "2026-12-31", "is_default": True},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["currency"], body["valid_from"], body["valid_until"]) == (
        "JPY", "2026-01-01", "2026-12-31",
    )  # fmt: skip
    path = f"/catalog/price-lists/{body['id']}/prices/{catalog.product.pk}"
    first = api.request("PUT", path, token=token, json={"unit_price": "15000"})
    assert first.status_code == 201, first.text
    assert first.json()["unit_price"] == "15000"  # yen have no minor unit
    again = api.request("PUT", path, token=token, json={"unit_price": "15000.5"})
    assert again.status_code == 200
    assert again.json()["unit_price"] == "15000.5"  # exact, more places than the minor unit
    listed = api.get(f"/catalog/price-lists/{body['id']}/prices", token=catalog.tokens["anna"])
    assert [(p["sku"], p["unit_price"], p["currency"]) for p in listed.json()["items"]] == [
        ("BER-1", "15000.5", "JPY")
    ]
    assert api.delete(path, token=token).status_code == 204
    assert problem(api.delete(path, token=token), 404)["code"] == "not_found"
    assert not Price.objects.filter(price_list_id=body["id"]).exists()


def test_price_list_validation_and_filters(api, catalog):
    token = catalog.tokens["mia"]
    before = catalog_state()
    bad = api.post(
        "/catalog/price-lists",
        token=token,
        json={"name": "X", "currency": "EUR", "valid_from": "2026-02-01",
              "valid_until": "2026-01-01"},
    )  # fmt: skip
    assert list(problem(bad, 422)["errors"]) == ["valid_until"]
    negative = api.request(
        "PUT",
        f"/catalog/price-lists/{catalog.price_list.pk}/prices/{catalog.product.pk}",
        token=token,
        json={"unit_price": "-5"},
        headers=EN,
    )
    assert problem(negative, 422)["errors"] == {
        "unit_price": ["The unit price cannot be negative."]
    }
    assert catalog_state() == before
    listed = api.get("/catalog/price-lists?currency=EUR&default=true", token=token).json()
    assert [p["name"] for p in listed["items"]] == ["Liste 2026"]
    problem(api.get("/catalog/price-lists?valid_on=morgen", token=token), 400)


# --- exchange rates ------------------------------------------------------------------------------


def test_set_exchange_rates_and_list_them(api, catalog):
    token = catalog.tokens["mia"]
    created = api.post("/catalog/exchange-rates", token=token,
                       json={"currency": "GBP", "date": "2026-01-02", "rate": "0.85"})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["rate"] == "0.85" and created.json()["base_currency"] == "EUR"
    replaced = api.post(
        "/catalog/exchange-rates",
        token=token,
        json={"currency": "GBP", "date": "2026-01-02", "rate": "0.8512"},
    )
    assert replaced.status_code == 200 and replaced.json()["rate"] == "0.8512"
    base = api.post("/catalog/exchange-rates", token=token,
                    json={"currency": "EUR", "date": "2026-01-02", "rate": "1"})  # fmt: skip
    assert list(problem(base, 422)["errors"]) == ["currency"]
    floats = api.post("/catalog/exchange-rates", token=token,
                      json={"currency": "GBP", "date": "2026-01-02", "rate": 0.85})  # fmt: skip
    assert list(problem(floats, 422)["errors"]) == ["rate"]
    listed = api.get("/catalog/exchange-rates?since=2026-01-01&sort=currency", token=token)
    assert [(r["currency"], r["rate"]) for r in listed.json()["items"]] == [
        ("GBP", "0.8512"), ("USD", "1.0823"),
    ]  # fmt: skip


def test_import_csv_as_body_and_as_multipart(api, catalog):
    token = catalog.tokens["mia"]
    german = "currency;date;rate\nUSD;02.01.2026;1,0900\nCHF;02.01.2026;0,9412\n"
    response = api.post("/catalog/exchange-rates/import", token=token, data=german.encode(),
                        headers={"Content-Type": "text/csv; charset=utf-8"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0}
    upload = "currency,date,rate\nCHF,2026-01-02,0.9412\nJPY,2026-01-02,163.25\n"
    response = api.post(
        "/catalog/exchange-rates/import",
        token=token,
        files={"file": ("rates.csv", upload.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 1}
    assert {(r.currency, r.rate) for r in ExchangeRate.objects.all()} == {
        ("USD", Decimal("1.09")), ("CHF", Decimal("0.9412")), ("JPY", Decimal("163.25")),
    }  # fmt: skip


def test_import_errors_are_422_by_line_and_nothing_is_written(api, catalog):
    token = catalog.tokens["mia"]
    before = catalog_state()
    text = "currency,date,rate\nGBP,2026-01-02,0.85\nXYZ,2026-01-02,1\nGBP,2026-01-02,0.86\n"
    response = api.post("/catalog/exchange-rates/import", token=token, data=text.encode(),
                        headers={"Content-Type": "text/csv", **EN})  # fmt: skip
    assert problem(response, 422)["errors"] == {
        "line 3": ["“XYZ” is not a known currency code."],
        "line 4": ["GBP on 2026-01-02 already appears on line 2."],
    }
    missing = api.post("/catalog/exchange-rates/import", token=token,
                       files={"other": ("x.csv", b"currency,date,rate\n", "text/csv")})  # fmt: skip
    assert list(problem(missing, 422)["errors"]) == ["file"]
    assert catalog_state() == before


def test_import_over_the_size_limit_is_413_and_other_types_415(api, catalog):
    token = catalog.tokens["mia"]
    before = catalog_state()
    big = b"currency,date,rate\n" + b"USD,2026-01-02,1.08\n" * (CSV_MAX_BYTES // 20 + 10)
    body = problem(api.post("/catalog/exchange-rates/import", token=token, data=big,
                            headers={"Content-Type": "text/csv"}), 413)  # fmt: skip
    assert body["code"] == "too_large"
    upload = problem(api.post("/catalog/exchange-rates/import", token=token,
                              files={"file": ("big.csv", big, "text/csv")}), 413)  # fmt: skip
    assert upload["code"] == "too_large"
    json_body = api.post("/catalog/exchange-rates/import", token=token, json={"rates": []})
    assert problem(json_body, 415)["code"] == "unsupported_media_type"
    assert catalog_state() == before


# --- query counts --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_lists_cost_a_constant_number_of_queries(people):
    """Token, then the page: the same at 2 rows as at 30 (no query per row)."""
    mia = people["mia"]
    from tests.catalog.factories import ensure_presets, price_list, priced

    ensure_presets()
    items = price_list(mia, "Liste", "EUR")
    for n in range(30):
        item = product(mia, f"Q-{n:02}", f"Produkt {n}")
        priced(mia, items, item, f"{n}.50")
        ExchangeRate.objects.create(currency="USD", date=dt.date(2026, 1, 1) + dt.timedelta(n),
                                    rate=Decimal("1.08"))  # fmt: skip
    for n in range(29):
        PriceList.objects.create(name=f"L{n}", currency="EUR", valid_from=dt.date(2026, 1, 1))
    for n in range(27):  # and the three presets
        TaxRate.objects.create(name=f"T{n}", rate=Decimal(n))
    client, token = Client(), issue_token(people["admin"])
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get("/api/v1/users/me", **header)
    paths = ["/catalog/products", "/catalog/tax-rates", "/catalog/price-lists",
             f"/catalog/price-lists/{items.pk}/prices", "/catalog/exchange-rates"]  # fmt: skip
    measured = {}
    for path in paths:
        counts = []
        for limit in (2, 30):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(f"/api/v1{path}?limit={limit}", **header)
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["items"]) == limit, path
            counts.append(len(ctx.captured_queries))
        assert counts[0] == counts[1], f"{path}: {counts}"
        measured[path.replace(str(items.pk), "{id}")] = counts[1]
    assert measured == {
        "/catalog/products": 2,
        "/catalog/tax-rates": 2,
        "/catalog/price-lists": 2,
        "/catalog/price-lists/{id}/prices": 3,
        "/catalog/exchange-rates": 2,
    }
