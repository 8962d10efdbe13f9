"""Turn records into the JSON shapes of schemas.py, fast: plain dicts, no per-row queries."""

from __future__ import annotations

from kundenwert.activities.models import Activity

ORGANIZATION_COLUMNS = (
    "id", "name", "legal_form", "vat_id", "industry", "website", "domain", "emails", "phones",
    "billing_address", "shipping_address", "owner_id", "team_id", "status", "parent_id",
    "archived_at", "created_at", "updated_at", "version",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "salutation", "title", "first_name", "last_name", "emails", "phones", "job_title",
    "language", "addresses", "owner_id", "team_id", "archived_at", "created_at", "updated_at",
    "version",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "type", "subject", "body", "body_format", "body_html", "starts_at", "due_at",
    "duration_minutes", "outcome", "is_done", "done_at", "occurred_at", "owner_id",
    "assignee_id", "team_id", "archived_at", "created_at", "updated_at", "version",
)  # fmt: skip


def organization_rows(rows: list[dict]) -> list[dict]:
    """Rows of `organization_list(values=ORGANIZATION_COLUMNS)`: already in the API shape."""
    return rows


def person_rows(rows: list[dict]) -> list[dict]:
    return rows


def _fields(instance, columns) -> dict:
    return {c: getattr(instance, c) for c in columns}


def organization_dict(org) -> dict:
    return {**_fields(org, ORGANIZATION_COLUMNS), "tags": sorted(t.name for t in org.tags.all())}


def person_dict(person) -> dict:
    return {**_fields(person, PERSON_COLUMNS), "tags": sorted(t.name for t in person.tags.all())}


def affiliation_dict(aff) -> dict:
    return _fields(
        aff,
        (
            "id",
            "person_id",
            "organization_id",
            "role",
            "is_primary",
            "created_at",
            "updated_at",
            "version",
        ),
    )


def activity_dict(
    activity, org_ids: list[int] | None = None, person_ids: list[int] | None = None
) -> dict:
    return {
        **_fields(activity, ACTIVITY_COLUMNS),
        "organization_ids": org_ids
        if org_ids is not None
        else sorted(o.pk for o in activity.organizations.all()),
        "person_ids": person_ids
        if person_ids is not None
        else sorted(p.pk for p in activity.people.all()),
    }


def activity_rows(activities: list) -> list[dict]:
    """Serialise a page of activities with their links in two queries."""
    ids = [a.pk for a in activities]
    orgs: dict[int, list[int]] = {i: [] for i in ids}
    people: dict[int, list[int]] = {i: [] for i in ids}
    for aid, oid in Activity.organizations.through.objects.filter(activity_id__in=ids).values_list(
        "activity_id", "organization_id"
    ):
        orgs[aid].append(oid)
    for aid, pid in Activity.people.through.objects.filter(activity_id__in=ids).values_list(
        "activity_id", "person_id"
    ):
        people[aid].append(pid)
    return [activity_dict(a, sorted(orgs[a.pk]), sorted(people[a.pk])) for a in activities]


def audit_dict(event) -> dict:
    return {
        "id": event.pk,
        "at": event.at,
        "actor_id": event.actor_id,
        "actor": event.actor_repr,
        "source": event.source,
        "verb": event.verb,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "changes": event.changes,
        "ip": event.ip,
    }


def user_dict(user) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "is_active": user.is_active,
        "team_ids": sorted(t.pk for t in user.teams.all()),
        "roles": sorted(r.key for r in user.roles.all()),
    }


def team_dict(team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "member_ids": sorted(u.pk for u in team.members.all()),
    }
