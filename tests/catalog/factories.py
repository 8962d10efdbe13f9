"""Build catalogue records through the services, so tests start from states the product reaches."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from django.apps import apps as django_apps

from kundenwert.catalog.models import PriceList, Product, TaxRate
from kundenwert.catalog.services import price_list_create, price_set, product_create


def product(actor, sku: str, name: str = "", **data) -> Product:
    """Create a product as `actor` (who must be allowed to change the catalogue)."""
    return product_create(
        actor=actor, data={"sku": sku, "name_de": name or f"Artikel {sku}", **data}
    )


def price_list(actor, name: str, currency: str = "EUR", **data) -> PriceList:
    data.setdefault("valid_from", dt.date(2026, 1, 1))
    return price_list_create(actor=actor, data={"name": name, "currency": currency, **data})


def priced(actor, items: PriceList, item: Product, amount: str) -> None:
    price_set(actor=actor, price_list_id=items.pk, product_id=item.pk, unit_price=Decimal(amount))


def preset(key: str) -> TaxRate:
    return TaxRate.objects.get(preset=key)


def ensure_presets() -> None:
    """Re-create the preset tax rates if a transactional test's flush removed them."""
    if not TaxRate.objects.exists():
        migration = importlib.import_module("kundenwert.catalog.migrations.0002_tax_rate_presets")
        migration.create_presets(django_apps, None)
