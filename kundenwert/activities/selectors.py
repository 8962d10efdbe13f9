"""Read use cases for activities, tasks and the merged timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.selectors import audit_events_for_target
from kundenwert.contacts.selectors import organization_get, person_get
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.core.listing import (
    Filter,
    ListSpec,
    parse_bool,
    parse_int,
    parse_when,
    run_list,
    sorts,
)
from kundenwert.core.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorError,
    Page,
    decode_cursor,
    encode_cursor,
)

from .models import Activity


def _types(value: str) -> Q:
    allowed = set(Activity.Type.values)
    wanted = [v for v in value.split(",") if v]
    if not wanted or set(wanted) - allowed:
        raise ValidationError(
            {"type": [_("Unknown value. Allowed: %s") % ", ".join(sorted(allowed))]}
        )
    return Q(type__in=wanted)


def task_when(task: Activity) -> dt.datetime | None:
    """Return when a task is due: its due date, else its start (None if it has neither).

    The same rule the `due` filter applies; for a task with a date it equals `occurred_at`.
    """
    return task.due_at or task.starts_at


def _when(*, dated_only: bool = False, **bounds: dt.datetime) -> Q:
    """Activities due within `bounds` (`lt`, `gte`): by due date, for a task without one by start.

    A task with only a start is due when it starts. Its `occurred_at` is that start (the
    services set it so) and, unlike `starts_at`, indexed, so PostgreSQL combines two index
    scans instead of reading the table. Other activities without a due date are never due:
    yesterday's call is not "overdue". `dated_only`: the caller keeps only rows with a due date.
    """
    by_due = Q(**{f"due_at__{op}": value for op, value in bounds.items()})
    if dated_only:
        return by_due
    by_start = Q(type=Activity.Type.TASK, due_at__isnull=True, starts_at__isnull=False) & Q(
        **{f"occurred_at__{op}": value for op, value in bounds.items()}
    )
    return by_due | by_start


def _due(value: str, *, dated_only: bool = False) -> Q:
    """overdue / today / upcoming, in the current time zone; see `_when` for the rule."""
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=1)
    options = {
        "overdue": _when(lt=now, dated_only=dated_only) & Q(is_done=False),
        "today": _when(gte=start, lt=end, dated_only=dated_only),
        "upcoming": _when(gte=end, dated_only=dated_only),
    }
    if value not in options:
        raise ValidationError({"due": [_("Choose overdue, today or upcoming.")]})
    return options[value]


def _task_due(value: str) -> Q:
    """The `due` filter of "my tasks": a task with neither date counts as upcoming.

    Services refuse to write such a task, but older data may hold one: it is not late, and
    listing it nowhere would lose it. Only here, where the viewer's own open tasks bound the
    rows: in the list of all activities that branch has no index and makes PostgreSQL read the
    whole table (2.3 s at a million activities when nothing is upcoming).
    """
    condition = _due(value)
    if value == "upcoming":
        condition |= Q(type=Activity.Type.TASK, due_at__isnull=True, starts_at__isnull=True)
    return condition


ACTIVITY_LIST = ListSpec(
    filters={
        "type": Filter(_types, "call, meeting, note, task, email (comma-separated)"),
        "owner": Filter(lambda v: Q(owner_id=parse_int(v, "owner")), "owner's user id"),
        "assignee": Filter(lambda v: Q(assignee_id=parse_int(v, "assignee")), "assignee's id"),
        "team": Filter(lambda v: Q(team_id=parse_int(v, "team")), "team id"),
        "done": Filter(lambda v: Q(is_done=parse_bool(v, "done")), "true/false"),
        "due": Filter(_due, "overdue, today or upcoming"),
        "organization": Filter(
            lambda v: Q(organizations__id=parse_int(v, "organization")), "organisation id"
        ),
        "person": Filter(lambda v: Q(people__id=parse_int(v, "person")), "person id"),
        "updated_since": Filter(
            lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
        ),
        "archived": Filter(
            lambda v: Q(archived_at__isnull=not parse_bool(v, "archived")), "true/false"
        ),
    },
    sorts=sorts(("occurred", ["occurred_at"]), ("due", ["due_at"]), ("updated", ["updated_at"])),
    default_sort="-occurred",
)
# Sorted by due date the list holds only rows with one, so the start never decides: the same
# rows, but without the start's OR-branch PostgreSQL can walk the due-date index (at a million
# activities `due=upcoming&sort=due` took 250 ms with it, under 2 ms without).
_ACTIVITY_LIST_BY_DUE = dataclasses.replace(
    ACTIVITY_LIST,
    filters={
        **ACTIVITY_LIST.filters,
        "due": Filter(functools.partial(_due, dated_only=True), ACTIVITY_LIST.filters["due"].help),
    },
)


def activities_visible_to(viewer) -> QuerySet[Activity]:
    return Activity.objects.visible_to(viewer)


def activity_list(*, viewer, params: dict[str, str], values: tuple[str, ...] | None = None) -> Page:
    """Return one page of the activities `viewer` may see (as dicts of `values` if given)."""
    qs = activities_visible_to(viewer)
    if "archived" not in params:
        qs = qs.filter(archived_at__isnull=True)
    spec = ACTIVITY_LIST
    if params.get("sort", "").lstrip("-") == "due":
        qs = qs.filter(due_at__isnull=False)
        spec = _ACTIVITY_LIST_BY_DUE
    return run_list(qs, spec, params=params, values=values)


def tasks_for(*, viewer, params: dict[str, str]) -> Page:
    """Return the viewer's own open tasks ("my tasks"), by due date; `due` narrows them.

    The order is `task_when`: for a task with a date that is `occurred_at` (the service sets it
    to the due date, else the start); tasks with neither date come last.
    """
    qs = (
        activities_visible_to(viewer)
        .open_tasks()
        .filter(assignee_id=viewer.pk)
        .annotate(
            undated=Case(
                When(due_at__isnull=True, starts_at__isnull=True, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    )
    spec = ListSpec(
        filters={"due": Filter(_task_due, ACTIVITY_LIST.filters["due"].help)},
        sorts=sorts(("due", ["undated", "occurred_at"])),
        default_sort="due",
        searchable=False,
    )
    return run_list(qs, spec, params=params)


def activity_get(*, viewer, activity_id: int) -> Activity:
    activity = (
        activities_visible_to(viewer)
        .select_related("owner", "assignee", "team")
        .prefetch_related("organizations", "people")
        .filter(pk=activity_id)
        .first()
    )
    if activity is None:
        raise NotFound(_("Activity not found."))
    return activity


# What a customer's timeline shows of the audit trail: changes to the record, not who was
# refused what (that stays in the administrators' audit list).
TIMELINE_VERBS = (
    AuditEvent.Verb.CREATE,
    AuditEvent.Verb.UPDATE,
    AuditEvent.Verb.ARCHIVE,
    AuditEvent.Verb.RESTORE,
)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's timeline: an activity or an audit event."""

    kind: str  # "activity" | "audit"
    at: dt.datetime
    id: int
    activity: Activity | None = None
    event: AuditEvent | None = None


def _timeline(
    viewer, activities: QuerySet, events: QuerySet, *, params: dict[str, str]
) -> tuple[list, str | None]:
    """Merge two streams newest first with one keyset cursor (time, kind, id)."""
    unknown = set(params) - {"cursor", "limit"}
    if unknown:
        raise ValidationError(
            {k: [_("Unknown parameter. Allowed: cursor, limit")] for k in unknown}
        )
    limit = parse_int(params["limit"], "limit") if "limit" in params else DEFAULT_LIMIT
    cursor = params.get("cursor")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [_("Between 1 and %d.") % MAX_LIMIT]})
    activities = activities.filter(archived_at__isnull=True)
    if cursor:
        try:
            at, kind, last_id = decode_cursor(cursor, "timeline", 3)
            at = dt.datetime.fromisoformat(at)
            if kind not in {"activity", "audit"} or not isinstance(last_id, int):
                raise CursorError("bad cursor")
        except (CursorError, ValueError, TypeError):
            raise ValidationError({"cursor": [_("Invalid cursor.")]}) from None

        # Entries sort by (time, kind, id) descending; continue strictly after the cursor.
        def after(time_field: str, own_kind: str) -> Q:
            same_instant = Q(**{time_field: at})
            if own_kind == kind:
                same_instant &= Q(id__lt=last_id)
            elif own_kind > kind:  # this kind sorts before the cursor's at the same instant
                same_instant = Q(pk__in=[])
            return Q(**{f"{time_field}__lte": at}) & (Q(**{f"{time_field}__lt": at}) | same_instant)

        activities = activities.filter(after("occurred_at", "activity"))
        events = events.filter(after("at", "audit"))
    acts = list(
        activities.select_related("owner", "assignee").order_by("-occurred_at", "-id")[: limit + 1]
    )
    evs = list(events.order_by("-at", "-id")[: limit + 1])
    entries = [TimelineEntry("activity", a.occurred_at, a.pk, activity=a) for a in acts]
    entries += [TimelineEntry("audit", e.at, e.pk, event=e) for e in evs]
    entries.sort(key=lambda e: (e.at, e.kind, e.id), reverse=True)
    next_cursor = None
    if len(entries) > limit:
        entries = entries[:limit]
        last = entries[-1]
        next_cursor = encode_cursor("timeline", [last.at.isoformat(), last.kind, last.id])
    return entries, next_cursor


def timeline_for_organization(
    *, viewer, organization_id: int, params: dict[str, str]
) -> tuple[list[TimelineEntry], str | None]:
    """Return the organisation's activities and audit events, newest first."""
    org = organization_get(viewer=viewer, organization_id=organization_id)
    acts = activities_visible_to(viewer).filter(organizations=org)
    events = audit_events_for_target(target_type="organization", target_id=org.pk).filter(
        verb__in=TIMELINE_VERBS
    )
    return _timeline(viewer, acts, events, params=params)


def timeline_for_person(
    *, viewer, person_id: int, params: dict[str, str]
) -> tuple[list[TimelineEntry], str | None]:
    person = person_get(viewer=viewer, person_id=person_id)
    acts = activities_visible_to(viewer).filter(people=person)
    events = audit_events_for_target(target_type="person", target_id=person.pk).filter(
        verb__in=TIMELINE_VERBS
    )
    return _timeline(viewer, acts, events, params=params)


def recent_activity_for(*, viewer, limit: int = 10) -> list[Activity]:
    """Return the newest live activities on the viewer's records (or their own), newest first."""
    mine = (
        Q(organizations__owner_id=viewer.pk)
        | Q(people__owner_id=viewer.pk)
        | Q(owner_id=viewer.pk)
        | Q(assignee_id=viewer.pk)
    )
    # The M2M joins can repeat a row; filter by id in a subquery instead of distinct().
    # Only what has happened: a task's occurred_at is its due date, and may lie ahead.
    ids = (
        activities_visible_to(viewer)
        .filter(mine, archived_at__isnull=True, occurred_at__lte=timezone.now())
        .values("pk")
    )
    return list(
        Activity.objects.filter(pk__in=ids)
        .select_related("owner")
        .order_by("-occurred_at", "-id")[:limit]
    )
