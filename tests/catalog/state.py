"""Test helpers: assert that a refused catalogue write changed no row, anywhere."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from kundenwert.audit.models import AuditEvent
from kundenwert.catalog.models import ExchangeRate, Price, PriceList, Product, TaxRate
from tests.core.state import WATCHED, Watch, _delta, events_since, last_event_id

CATALOG = (TaxRate, Product, PriceList, Price, ExchangeRate)


def rows() -> dict[str, list[dict]]:
    """Return every row of the catalogue and of the other domain tables, by primary key."""
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in (*WATCHED, *CATALOG)}


@contextlib.contextmanager
def nothing_changed(*, denied: int = 0) -> Iterator[Watch]:
    """Assert no row changed inside the block, and exactly `denied` denial events were written.

    Nest `pytest.raises` inside, so the check runs after the exception was caught.
    """
    before = rows()
    mark = last_event_id()
    watch = Watch()
    yield watch
    after = rows()
    for label, table in before.items():
        assert after[label] == table, f"{label} changed: {_delta(table, after[label])}"
    watch.events = events_since(mark)
    assert [e.verb for e in watch.events] == [AuditEvent.Verb.PERMISSION_DENIED] * denied
