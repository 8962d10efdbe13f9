"""Build leads through the services, and snapshot the lead tables for tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from kundenwert.sales.leads import lead_create, lead_submit_public
from kundenwert.sales.models import Lead
from tests.sales.factories import sales_rows, sales_unchanged

PUBLIC_IP = "203.0.113.7"


def lead(owner, name: str, **data) -> Lead:
    """Create a lead owned by `owner` (acting as themselves)."""
    return lead_create(actor=owner, data={"name": name, **data})


def public_lead(
    name: str = "Petra Paulsen",
    email: str = "petra@nordlicht.example",
    *,
    ip: str = PUBLIC_IP,
    language: str = "de",
    **data,
) -> Lead:
    """Store a lead as the public web form does (no actor, the intake pool)."""
    stored = lead_submit_public(
        data={"name": name, "email": email, **data}, ip=ip, language=language
    )
    assert stored is not None
    return stored


def lead_rows() -> list[dict]:
    return list(Lead.objects.order_by("pk").values())


@contextlib.contextmanager
def leads_unchanged(*, denied: int = 0) -> Iterator[None]:
    """Assert no lead, sales or contact row changed inside the block; `denied` denial events.

    Nest `pytest.raises` inside, so the check runs after the exception was caught.
    """
    before = lead_rows()
    with sales_unchanged(denied=denied):
        yield
    assert lead_rows() == before, "leads changed"


__all__ = ["PUBLIC_IP", "lead", "lead_rows", "leads_unchanged", "public_lead", "sales_rows"]
