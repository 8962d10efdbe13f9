"""Write use cases for activities: log a call, add a note, create and complete tasks."""

from __future__ import annotations

import datetime as dt

import markdown as markdown_lib
import nh3
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import archive_recorded, audit_record, diff, service, snapshot
from kundenwert.contacts.models import Organization, Person
from kundenwert.core.errors import NotFound, PermissionDenied, ValidationError, denial_message
from kundenwert.core.normalize import search_text
from kundenwert.core.records import check_not_archived, check_version, run_validators
from kundenwert.org.models import Team
from kundenwert.org.policies import can, is_admin, permissions_for

from .models import Activity

FIELDS = (
    "type", "subject", "body", "body_format", "starts_at", "due_at", "duration_minutes",
    "outcome", "is_done", "assignee", "owner", "team",
)  # fmt: skip
LINK_FIELDS = ("organization_ids", "person_ids")


def render_body(body: str, body_format: str) -> str:
    """Turn the body into safe HTML: Markdown is rendered, both are sanitised (no scripts)."""
    html = (
        markdown_lib.markdown(body or "", extensions=["extra", "sane_lists"])
        if (body_format == Activity.BodyFormat.MARKDOWN)
        else (body or "")
    )
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def _user(field: str):
    def build(value):
        if value is None:
            if field == "owner_id":
                raise ValidationError({field: [_("This field is required.")]})
            return None
        valid = isinstance(value, int) and not isinstance(value, bool)
        user = get_user_model().objects.filter(pk=value, is_active=True).first() if valid else None
        if user is None:
            raise ValidationError({field: [_("No active user with this id.")]})
        return user

    return build


def _team(value):
    if value is None:
        return None
    valid = isinstance(value, int) and not isinstance(value, bool)
    team = Team.objects.filter(pk=value).first() if valid else None
    if team is None:
        raise ValidationError({"team_id": [_("No team with this id.")]})
    return team


def _minutes(value):
    if value is None:
        return None
    if not isinstance(value, int) or not 0 <= value <= 60 * 24 * 31:
        raise ValidationError({"duration_minutes": [_("Enter minutes between 0 and 44640.")]})
    return value


def _aware(field: str):
    def build(value):
        if value is None:
            return None
        if not isinstance(value, dt.datetime):  # adapters parse; a string here is a 500 otherwise
            raise ValidationError({field: [_("Enter a date and time.")]})
        if timezone.is_naive(value):
            raise ValidationError({field: [_("Give a time zone, e.g. 2026-05-01T09:00:00+02:00.")]})
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError({field: [_("The date is out of range.")]}) from None

    return build


NORMALIZERS = {
    "subject": lambda v: (v or "").strip()[:200],
    # null (allowed by PATCH) clears the body; the column is NOT NULL.
    "body": lambda v: v or "",
    "outcome": lambda v: (v or "").strip()[:200],
    "owner": _user("owner_id"),
    "assignee": _user("assignee_id"),
    "team": _team,
    "duration_minutes": _minutes,
    "starts_at": _aware("starts_at"),
    "due_at": _aware("due_at"),
}


def _links(actor, data: dict) -> tuple[list[Organization] | None, list[Person] | None]:
    """Resolve linked records; ones the actor may not see are reported as not found."""
    orgs = people = None
    errors: dict[str, list[str]] = {}
    if data.get("organization_ids") is not None:
        ids = sorted(set(data["organization_ids"]))
        orgs = list(Organization.objects.visible_to(actor).filter(pk__in=ids))
        if len(orgs) != len(ids):
            errors["organization_ids"] = [_("Some organisations were not found.")]
    if data.get("person_ids") is not None:
        ids = sorted(set(data["person_ids"]))
        people = list(Person.objects.visible_to(actor).filter(pk__in=ids))
        if len(people) != len(ids):
            errors["person_ids"] = [_("Some people were not found.")]
    if errors:
        raise ValidationError(errors)
    return orgs, people


def _finish(activity: Activity) -> None:
    if activity.type not in Activity.Type.values:
        raise ValidationError({"type": [_("Choose call, meeting, note, task or email.")]})
    if (
        activity.type == Activity.Type.TASK
        and activity.due_at is None
        and activity.starts_at is None
    ):
        raise ValidationError({"due_at": [_("A task needs a due date.")]})
    activity.body_html = render_body(activity.body, activity.body_format)
    if activity.is_done and activity.done_at is None:
        activity.done_at = timezone.now()
    if not activity.is_done:
        activity.done_at = None
    activity.occurred_at = (
        (activity.due_at if activity.type == Activity.Type.TASK and activity.due_at else None)
        or activity.starts_at
        or activity.occurred_at
        or timezone.now()
    )
    activity.search_text = search_text(activity.subject, activity.outcome)


def _require(actor, action: str, activity: Activity) -> None:
    if not can(
        actor,
        "activity",
        action,
        owner_id=activity.owner_id,
        team_id=activity.team_id,
        extra_own_ids=(activity.assignee_id,),
    ):
        raise PermissionDenied(
            denial_message("activity", action),
            action=f"activity.{action}",
            target_type="activity",
            target_id=str(activity.pk or ""),
        )


def _snapshot(activity: Activity) -> dict:
    return {
        **snapshot(activity, FIELDS),
        "organization_ids": sorted(o.pk for o in activity.organizations.all())
        if activity.pk
        else [],
        "person_ids": sorted(p.pk for p in activity.people.all()) if activity.pk else [],
    }


def _split(data: dict) -> tuple[dict, dict]:
    fields = {}
    for key, value in data.items():
        fields[key[:-3] if key in {"owner_id", "assignee_id", "team_id"} else key] = value
    links = {k: fields.pop(k) for k in LINK_FIELDS if k in fields}
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    return fields, links


@service
def activity_create(*, actor, data: dict) -> Activity:
    """Record an activity (call, meeting, note, task, email) and link it to records."""
    fields, links = _split(data)
    team_ids = sorted(permissions_for(actor).team_ids)
    # occurred_at is NOT NULL and full_clean runs before _finish fills it: start from now.
    activity = Activity(
        owner=actor, team_id=team_ids[0] if len(team_ids) == 1 else None, occurred_at=timezone.now()
    )
    if "assignee" not in fields and fields.get("type") == Activity.Type.TASK:
        activity.assignee = actor
    run_validators(activity, fields, NORMALIZERS)
    _finish(activity)
    _require(actor, "edit", activity)
    orgs, people = _links(actor, links)
    activity.save()
    if orgs:
        activity.organizations.set(orgs)
    if people:
        activity.people.set(people)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=activity,
        changes=diff({}, _snapshot(activity)),
    )
    return activity


def _lock(actor, activity_id: int) -> Activity:
    activity = Activity.objects.visible_to(actor).select_for_update().filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("Activity not found."))
    return activity


@service
def activity_update(
    *, actor, activity_id: int, data: dict, expected_version: int | None = None
) -> Activity:
    """Change an activity; completing a task is `{"is_done": true}`."""
    fields, links = _split(data)
    activity = _lock(actor, activity_id)
    _require(actor, "edit", activity)
    check_version(activity, expected_version)
    check_not_archived(activity)
    before = _snapshot(activity)
    run_validators(activity, fields, NORMALIZERS)
    _finish(activity)
    _require(actor, "edit", activity)
    orgs, people = _links(actor, links)
    if orgs is not None:
        activity.organizations.set(orgs)
    if people is not None:
        activity.people.set(people)
    changes = diff(before, _snapshot(activity))
    if changes:
        activity.version += 1
        activity.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=activity, changes=changes)
    return activity


def activity_complete(*, actor, activity_id: int) -> Activity:
    """Mark a task done."""
    return activity_update(actor=actor, activity_id=activity_id, data={"is_done": True})


def _set_archived(*, actor, activity_id: int, archived: bool) -> Activity:
    activity = _lock(actor, activity_id)
    _require(actor, "delete", activity)
    archive_recorded(actor=actor, record=activity, archived=archived)
    return activity


@service
def activity_archive(*, actor, activity_id: int) -> Activity:
    return _set_archived(actor=actor, activity_id=activity_id, archived=True)


@service
def activity_restore(*, actor, activity_id: int) -> Activity:
    return _set_archived(actor=actor, activity_id=activity_id, archived=False)


@service
def activity_delete(*, actor, activity_id: int) -> None:
    """Delete an activity for good (administrators only)."""
    activity = _lock(actor, activity_id)
    if not is_admin(actor):
        raise PermissionDenied(
            denial_message("activity", "delete permanently"),
            action="activity.delete permanently",
            target_type="activity",
            target_id=str(activity.pk),
        )
    before = _snapshot(activity)
    target_id, target_repr = activity.pk, str(activity)
    activity.delete()
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.DELETE,
        target_type="activity",
        target_id=target_id,
        target_repr=target_repr,
        changes=diff(before, {}),
    )
