"""A small catalogue and a token for every kind of caller, for the API tests of the catalogue.

Import the fixtures into a test module (`from tests.catalog.api_world import catalog, ...`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import PriceList, Product, TaxRate
from kundenwert.catalog.services import exchange_rate_set
from kundenwert.identity.models import User
from kundenwert.org.models import Role
from kundenwert.org.policies import forget_permissions
from tests.catalog.factories import ensure_presets, preset, price_list, priced, product
from tests.catalog.state import CATALOG
from tests.conftest import issue_token, make_user


@dataclass
class Catalog:
    """mia's (manager) catalogue: a product on the default EUR list, a rate, and tokens.

    Tokens: admin and mia may change the catalogue; mia_ro is mia's read-only token; anna
    (sales) and vera (read-only role) may read it; olga has no catalogue level at all.
    """

    people: dict
    product: Product
    tax_rate: TaxRate
    price_list: PriceList
    tokens: dict[str, str]


def outsider() -> User:
    """A user whose only role reads organisations: no level on the catalogue."""
    role = Role.objects.create(
        key="orgs-only", name="Orgs only", permissions={"organization": {"read": 3}}
    )
    user = make_user("olga", "read-only")
    user.roles.set([role])
    forget_permissions(user)
    return user


@pytest.fixture
def catalog(people) -> Catalog:
    ensure_presets()
    mia = people["mia"]
    item = product(mia, "BER-1", "Beratung", name_en="Consulting", unit="hour", cost_price="60")
    items = price_list(mia, "Liste 2026", "EUR", is_default=True)
    priced(mia, items, item, "120.00")
    exchange_rate_set(actor=mia, currency="USD", date=dt.date(2026, 1, 2), rate="1.0823")
    olga = outsider()
    tokens = {
        "admin": issue_token(people["admin"]),
        "mia": issue_token(mia),
        "mia_ro": issue_token(mia, read_only=True),
        "anna": issue_token(people["anna"]),
        "vera": issue_token(people["vera"]),
        "olga": issue_token(olga),
    }
    return Catalog(people, item, preset("reduced"), items, tokens)


def catalog_state() -> dict:
    """Every catalogue row and the count of audit events other than denials."""
    return {
        "rows": {m.__name__: list(m.objects.order_by("pk").values()) for m in CATALOG},
        "audit": AuditEvent.objects.exclude(verb=AuditEvent.Verb.PERMISSION_DENIED).count(),
    }


def denials() -> int:
    return AuditEvent.objects.filter(verb=AuditEvent.Verb.PERMISSION_DENIED).count()
