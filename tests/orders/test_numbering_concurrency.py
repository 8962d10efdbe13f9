"""Invoice numbers stay gapless and unique when many users issue at the same moment."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from kundenwert.core.errors import ValidationError
from kundenwert.orders.models import Invoice, NumberSequence
from kundenwert.orders.services import invoice_create_from_order, invoice_issue
from tests.orders.factories import DAY, line, make_order, make_shop

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS, ISSUES = 8, 5
NO_RATE_DAY = dt.date(2025, 12, 31)


def _drafts(people) -> tuple[list[list[int]], list[int]]:
    """Per thread: ISSUES valid drafts, and one USD draft that will fail validation."""
    shop = make_shop(people)
    anna, mia = people["anna"], people["mia"]
    valid, failing = [], []
    for _thread in range(THREADS):
        ids = []
        for _issue in range(ISSUES):
            order = make_order(anna, shop.org, line(shop.software))
            ids.append(invoice_create_from_order(actor=mia, order_id=order.pk).pk)
        dollars = make_order(
            anna, shop.org, line(quantity="1", description="Import", unit_price="5"), currency="USD"
        )
        failing.append(invoice_create_from_order(actor=mia, order_id=dollars.pk).pk)
        valid.append(ids)
    return valid, failing


def test_concurrent_issuers_get_numbers_one_to_forty_without_gaps(people):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"] in ("", ":memory:"):
        pytest.skip("SQLite in memory cannot share one database between threads")
    mia = people["mia"]
    valid, failing = _drafts(people)
    start = threading.Barrier(THREADS)
    outcome: dict[str, list] = {"numbers": [], "refused": [], "errors": []}
    lock = threading.Lock()

    def issuer(index: int) -> None:
        try:
            start.wait(30)
            mine = list(valid[index])
            mine.insert(2, failing[index])
            for invoice_id in mine:
                # The failing draft is dated before the first USD rate: refused after the lock
                # on its row was taken, before the number.
                day = NO_RATE_DAY if invoice_id == failing[index] else DAY
                try:
                    issued = invoice_issue(actor=mia, invoice_id=invoice_id, issue_date=day)
                except ValidationError:
                    with lock:
                        outcome["refused"].append(invoice_id)
                else:
                    with lock:
                        outcome["numbers"].append(issued.number)
        except Exception as exc:  # pragma: no cover - reported below
            with lock:
                outcome["errors"].append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issuer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcome["errors"] == []
    assert sorted(outcome["refused"]) == sorted(failing)
    expected = [f"R-2026-{n:05d}" for n in range(1, THREADS * ISSUES + 1)]
    assert sorted(outcome["numbers"]) == expected
    stored = sorted(Invoice.objects.exclude(number="").values_list("number", flat=True))
    assert stored == expected
    assert NumberSequence.objects.get(key="invoice", year=2026).last_number == THREADS * ISSUES
    assert Invoice.objects.filter(pk__in=failing, status="draft", number="").count() == THREADS
