"""Read the audit trail (administrators only)."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from kundenwert.core.errors import PermissionDenied
from kundenwert.core.listing import Filter, ListSpec, parse_int, parse_when, run_list, sorts
from kundenwert.core.pagination import Page
from kundenwert.org.policies import is_admin

from .models import AuditEvent


def audit_events_visible_to(viewer) -> QuerySet[AuditEvent]:
    """Return the events `viewer` may list: all for administrators; others are refused."""
    if not is_admin(viewer):
        raise PermissionDenied(action="audit.read", target_type="audit")
    return AuditEvent.objects.all()


def audit_events_for_target(*, target_type: str, target_id) -> QuerySet[AuditEvent]:
    """Return the events about one record; the caller has already checked it may see it."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id))


AUDIT_LIST = ListSpec(
    filters={
        "target_type": Filter(lambda v: Q(target_type=v[:64]), "organization, person, …"),
        "target_id": Filter(lambda v: Q(target_id=v[:64]), "the record's id"),
        "actor": Filter(lambda v: Q(actor_id=parse_int(v, "actor")), "user id"),
        "verb": Filter(lambda v: Q(verb=v[:32]), "create, update, archive, …"),
        "since": Filter(lambda v: Q(at__gte=parse_when(v, "since")), "ISO date-time"),
        "until": Filter(lambda v: Q(at__lt=parse_when(v, "until")), "ISO date-time"),
    },
    sorts=sorts(("at", ["at"])),
    default_sort="-at",
    searchable=False,
)


def audit_list(*, viewer, params: dict[str, str]) -> Page:
    """Return one page of audit events, newest first by default (administrators only)."""
    return run_list(audit_events_visible_to(viewer), AUDIT_LIST, params=params)


def failed_logins_since(*, username: str, ip: str | None, since) -> tuple[int, int]:
    """Count failed sign-ins since `since`: (for this user name, from this IP address).

    The user-name count restarts at the user's last successful sign-in, so a few typos spread
    over a working day never lock anybody out. Derived from the trail rather than a cache so
    every process sees the same counts; the range on the indexed `at` column keeps it to the
    last few minutes' events.
    """
    name = username[:150]
    recent = AuditEvent.objects.filter(at__gte=since)
    last_success = recent.filter(verb=AuditEvent.Verb.LOGIN, actor_repr__iexact=name).aggregate(
        last=Max("at")
    )["last"]
    by_user = Q(target_repr__iexact=name)
    if last_success is not None:
        by_user &= Q(at__gt=last_success)
    counts = {"by_user": Count("id", filter=by_user)}
    if ip:
        counts["by_ip"] = Count("id", filter=Q(ip=ip))
    result = recent.filter(verb=AuditEvent.Verb.LOGIN_FAILED).aggregate(**counts)
    return result["by_user"], result.get("by_ip", 0)
