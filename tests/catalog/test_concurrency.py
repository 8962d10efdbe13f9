"""Two writers at one moment: the loser of a unique constraint gets a conflict, never a 500."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from kundenwert.catalog.models import ExchangeRate, Product
from kundenwert.catalog.services import exchange_rate_set, product_create
from kundenwert.core.errors import ConflictError
from tests.catalog.factories import preset

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _wait_for_a_blocked_writer(timeout: float = 10) -> None:
    """Return once another session of this database waits for a lock (the second writer)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first")


def _race(first_insert, second_write) -> Exception | None:
    """Hold `first_insert` uncommitted, let `second_write` validate and block, then commit."""
    inserted, release = threading.Event(), threading.Event()
    outcome: dict[str, Exception | None] = {"error": None}

    def first():
        try:
            with transaction.atomic():
                first_insert()
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            second_write()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=first)
    holder.start()
    assert inserted.wait(10)
    writer = threading.Thread(target=second)
    writer.start()
    try:
        _wait_for_a_blocked_writer()
    finally:
        release.set()
        holder.join(10)
        writer.join(10)
    return outcome["error"]


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time (IMMEDIATE transactions): no race to lose")


def test_the_same_sku_saved_at_one_moment_is_a_conflict(people, postgresql_only):
    standard = preset("standard")
    error = _race(
        lambda: Product.objects.create(sku="RACE-1", name_de="Erster", tax_rate=standard),
        lambda: product_create(actor=people["mia"], data={"sku": "race-1", "name_de": "Zweiter"}),
    )
    assert isinstance(error, ConflictError), repr(error)
    assert list(Product.objects.values_list("name_de", flat=True)) == ["Erster"]


def test_the_same_days_rate_set_at_one_moment_is_a_conflict(people, postgresql_only):
    day = dt.date(2026, 1, 2)
    error = _race(
        lambda: ExchangeRate.objects.create(currency="USD", date=day, rate=Decimal("1.08")),
        lambda: exchange_rate_set(actor=people["mia"], currency="USD", date=day, rate="1.09"),
    )
    assert isinstance(error, ConflictError), repr(error)
    assert ExchangeRate.objects.get().rate == Decimal("1.08")
