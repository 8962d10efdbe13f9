"""Build records through the services, so tests start from states the product can reach."""

from __future__ import annotations

from kundenwert.contacts.models import Organization, Person
from kundenwert.contacts.services import organization_create, person_create


def org(owner, name: str, *, parent: Organization | None = None, **data) -> Organization:
    """Create an organisation owned by `owner` (acting as themselves)."""
    if parent is not None:
        data["parent_id"] = parent.pk
    return organization_create(actor=owner, data={"name": name, **data})


def person(owner, last_name: str, **data) -> Person:
    return person_create(actor=owner, data={"last_name": last_name, **data})
