"""Product pages (the catalogue has no owner: changing it needs the level "all"), and exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import Product, TaxRate
from kundenwert.catalog.services import product_create
from kundenwert.web.entities import ENTITIES
from kundenwert.web.export import EXPORTS
from tests.sales.factories import deal

from .conftest import client_for

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def product(people) -> Product:
    return product_create(
        actor=people["admin"],
        data={
            "sku": "SRV-1",
            "name_de": "Wartung",
            "name_en": "Maintenance",
            "unit": "hour",
            "cost_price": "45.5",
            "cost_currency": "EUR",
        },
    )


def test_every_entity_has_a_csv_export():
    assert {e.name for e in ENTITIES} == set(EXPORTS)


def test_sales_reads_the_catalogue_in_its_language_but_cannot_change_it(people, product):
    anna = client_for(people["anna"])
    german = html(anna.get("/products/", headers={"accept-language": "de"}))
    assert "Wartung" in german and "45,50\u00a0€" in german
    assert 'href="/products/new/"' not in german
    english = html(anna.get(f"/products/{product.pk}/", headers={"accept-language": "en"}))
    assert "Maintenance" in english and f'href="/products/{product.pk}/edit/"' not in english
    before = (Product.objects.count(), AuditEvent.objects.count())
    assert anna.get("/products/new/").status_code == 403
    refused = anna.post("/products/new/", {"sku": "X-1", "name_en": "X", "unit": "piece"})
    assert refused.status_code == 403
    assert (Product.objects.count(), AuditEvent.objects.count()) == before


def test_a_manager_creates_a_product_with_the_default_tax_rate(people):
    mia = client_for(people["mia"])
    form = html(mia.get("/products/new/", headers={"accept-language": "en"}))
    default = TaxRate.objects.get(is_default=True)
    assert f'<option value="{default.pk}" selected>' in form
    response = mia.post(
        "/products/new/",
        {
            "sku": "LIC-2027",
            "name_en": "Licence 2027",
            "unit": "licence",
            "tax_rate_id": str(default.pk),
            "cost_price": "1.200,00",
            "cost_currency": "eur",
            "is_recurring": "on",
            "billing_period": "year",
        },
        headers={"accept-language": "de"},
    )
    created = Product.objects.get(sku="LIC-2027")
    assert response.status_code == 302 and response["Location"] == f"/products/{created.pk}/"
    assert (created.cost_price, created.cost_currency, created.billing_period) == (
        Decimal("1200.00"),
        "EUR",
        "year",
    )
    duplicate = mia.post(
        "/products/new/",
        {"sku": "lic-2027", "name_en": "Again", "unit": "piece", "cost_currency": "EUR",
         "tax_rate_id": str(default.pk)},
        headers={"accept-language": "en"},
    )  # fmt: skip
    assert duplicate.status_code == 422
    assert "A product with this SKU already exists." in html(duplicate)


def test_deal_and_product_exports(world, product):
    deal(world.people["anna"], "Fleet", organization=world.org, amount=Decimal("99.5"))
    anna = client_for(world.people["anna"])
    body = b"".join(
        anna.get("/deals/export.csv", headers={"accept-language": "en"}).streaming_content
    )
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header = rows[0]
    assert rows[1][header.index("Title")] == "Fleet"
    assert rows[1][header.index("Amount")] == "99.50"
    assert rows[1][header.index("Currency")] == "EUR"
    body = b"".join(anna.get("/products/export.csv").streaming_content)
    assert "SRV-1" in body.decode("utf-8-sig")
