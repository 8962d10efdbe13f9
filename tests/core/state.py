"""Test helpers: snapshot every domain row, and assert a refused call changed nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from kundenwert.activities.models import Activity
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization, Person, Tag
from kundenwert.identity.models import ApiToken

WATCHED = (
    Organization,
    Person,
    Affiliation,
    Activity,
    Tag,
    ApiToken,
    Organization.tags.through,
    Person.tags.through,
    Activity.organizations.through,
    Activity.people.through,
)


def rows() -> dict[str, list[dict]]:
    """Return every row of every domain table, ordered by primary key."""
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in WATCHED}


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(event_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=event_id).order_by("id"))


def _delta(before: list[dict], after: list[dict]) -> dict:
    """Describe how two row lists differ, field by field, for a readable failure."""
    old = {r["id"]: r for r in before} if before and "id" in before[0] else dict(enumerate(before))
    new = {r["id"]: r for r in after} if after and "id" in after[0] else dict(enumerate(after))
    result: dict = {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new))}
    for key in set(old) & set(new):
        changed = {f: (old[key][f], new[key][f]) for f in old[key] if old[key][f] != new[key][f]}
        if changed:
            result[key] = changed
    return result


@dataclass
class Watch:
    """What a `nothing_changed` block saw: the audit events written inside it."""

    events: list[AuditEvent] = field(default_factory=list)


@contextlib.contextmanager
def nothing_changed(*, denied: int = 0) -> Iterator[Watch]:
    """Assert no domain row changed inside the block, and exactly `denied` denial events exist.

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


@contextlib.contextmanager
def one_event(verb: str) -> Iterator[Watch]:
    """Assert the block wrote exactly one audit event, with this verb."""
    mark = last_event_id()
    watch = Watch()
    yield watch
    watch.events = events_since(mark)
    assert [e.verb for e in watch.events] == [verb]
