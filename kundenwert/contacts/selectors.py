"""Read use cases for organisations, people and affiliations; each starts from visible_to."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

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
from kundenwert.core.pagination import Page
from kundenwert.core.search import MIN_TERM_LENGTH, normalize_term, search_q

from .models import Affiliation, Organization, Person, Tag


def _archived_filter(value: str) -> Q:
    """`archived=true` lists only archived records, `false` (the default) only active ones."""
    return Q(archived_at__isnull=not parse_bool(value, "archived"))


def _choice(field: str, choices) -> callable:
    allowed = {c for c, _label in choices}

    def build(value: str) -> Q:
        wanted = [v for v in value.split(",") if v]
        bad = [v for v in wanted if v not in allowed]
        if bad or not wanted:
            raise ValidationError(
                {field: [_("Unknown value. Allowed: %s") % ", ".join(sorted(allowed))]}
            )
        return Q(**{f"{field}__in": wanted})

    return build


def _int_filter(lookup: str, name: str):
    return lambda value: Q(**{lookup: parse_int(value, name)})


COMMON_FILTERS = {
    "owner": Filter(_int_filter("owner_id", "owner"), "owner's user id"),
    "team": Filter(_int_filter("team_id", "team"), "team id"),
    "tag": Filter(lambda v: Q(tags__name=v), "tag name"),
    "updated_since": Filter(
        lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
    ),
    "archived": Filter(_archived_filter, "true: archived only; false (default): active only"),
}

ORGANIZATION_LIST = ListSpec(
    filters={
        **COMMON_FILTERS,
        "status": Filter(_choice("status", Organization.Status.choices), "status, comma-separated"),
        "parent": Filter(_int_filter("parent_id", "parent"), "parent organisation id"),
    },
    sorts=sorts(("name", ["name"]), ("created", ["created_at"]), ("updated", ["updated_at"])),
    default_sort="name",
)

PERSON_LIST = ListSpec(
    filters={
        **COMMON_FILTERS,
        "organization": Filter(
            lambda v: Q(affiliations__organization_id=parse_int(v, "organization")),
            "organisation id",
        ),
    },
    sorts=sorts(
        ("name", ["last_name", "first_name"]),
        ("created", ["created_at"]),
        ("updated", ["updated_at"]),
    ),
    default_sort="name",
)

AFFILIATION_LIST = ListSpec(
    filters={
        "person": Filter(_int_filter("person_id", "person"), "person id"),
        "organization": Filter(_int_filter("organization_id", "organization"), "organisation id"),
        "primary": Filter(lambda v: Q(is_primary=parse_bool(v, "primary")), "true/false"),
    },
    sorts=sorts(("created", ["created_at"])),
    default_sort="created",
    searchable=False,
)


def _active_unless_asked(queryset: QuerySet, params: dict[str, str]) -> QuerySet:
    return queryset if "archived" in params else queryset.filter(archived_at__isnull=True)


def organizations_visible_to(viewer) -> QuerySet[Organization]:
    return Organization.objects.visible_to(viewer)


def people_visible_to(viewer) -> QuerySet[Person]:
    return Person.objects.visible_to(viewer)


def _tag_names(model):
    """An expression for a record's tag names, sorted, computed inside the page query.

    One query per page instead of two: PostgreSQL collects an array; SQLite a JSON array
    (decoded by `decode_tag_names`).
    """
    through = model.tags.through
    fk = f"{model._meta.model_name}_id"
    if connection.vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        names = through.objects.filter(**{fk: OuterRef("pk")}).order_by("tag__name")
        return ArraySubquery(names.values("tag__name"))
    table, tags = through._meta.db_table, Tag._meta.db_table
    return RawSQL(
        f"(SELECT json_group_array(name) FROM (SELECT t.name FROM {table} x "
        f"JOIN {tags} t ON t.id = x.tag_id WHERE x.{fk} = {model._meta.db_table}.id "
        f"ORDER BY t.name))",
        [],
    )


def decode_tag_names(rows: list[dict]) -> list[dict]:
    """Move the `tag_names` column of `values()` rows to `tags`, a list on every database."""
    for row in rows:
        names = row.pop("tag_names")
        row["tags"] = json.loads(names) if isinstance(names, str) else list(names or [])
    return rows


def organization_list(
    *, viewer, params: dict[str, str], values: tuple[str, ...] | None = None
) -> Page:
    """Return one page of the organisations `viewer` may see, filtered by allow-listed params.

    With `values`, rows are dicts of those columns plus `tags` (sorted names), in one query.
    """
    qs = _active_unless_asked(organizations_visible_to(viewer), params)
    if values is None:
        return run_list(qs, ORGANIZATION_LIST, params=params)
    qs = qs.annotate(tag_names=_tag_names(Organization))
    page = run_list(qs, ORGANIZATION_LIST, params=params, values=(*values, "tag_names"))
    decode_tag_names(page.rows)
    return page


def person_list(*, viewer, params: dict[str, str], values: tuple[str, ...] | None = None) -> Page:
    """Return one page of the people `viewer` may see."""
    qs = _active_unless_asked(people_visible_to(viewer), params)
    # An organisation filter joins affiliations, unique per (person, organisation): no duplicates.
    if values is None:
        return run_list(qs, PERSON_LIST, params=params)
    qs = qs.annotate(tag_names=_tag_names(Person))
    page = run_list(qs, PERSON_LIST, params=params, values=(*values, "tag_names"))
    decode_tag_names(page.rows)
    return page


def affiliation_list(*, viewer, params: dict[str, str]) -> Page:
    qs = (
        Affiliation.objects.visible_to(viewer)
        .filter(organization__in=organizations_visible_to(viewer).values("id"))
        .select_related("person", "organization")
    )
    return run_list(qs, AFFILIATION_LIST, params=params)


def organization_get(*, viewer, organization_id: int) -> Organization:
    """Return the organisation, or raise NotFound if it does not exist or is hidden."""
    org = (
        organizations_visible_to(viewer)
        .select_related("owner", "team", "parent")
        .prefetch_related("tags")
        .filter(pk=organization_id)
        .first()
    )
    if org is None:
        raise NotFound(_("Organisation not found."))
    return org


def person_get(*, viewer, person_id: int) -> Person:
    person = (
        people_visible_to(viewer)
        .select_related("owner", "team")
        .prefetch_related("tags")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise NotFound(_("Person not found."))
    return person


def affiliation_get(*, viewer, affiliation_id: int) -> Affiliation:
    aff = (
        Affiliation.objects.visible_to(viewer)
        .filter(organization__in=organizations_visible_to(viewer).values("id"))
        .filter(pk=affiliation_id)
        .first()
    )
    if aff is None:
        raise NotFound(_("Affiliation not found."))
    return aff


def tags_by_id(model, ids: list[int]) -> dict[int, list[str]]:
    """Return the tag names of many records in one query (for list pages)."""
    through = model.tags.through
    fk = f"{model._meta.model_name}_id"
    result: dict[int, list[str]] = {i: [] for i in ids}
    for row_id, name in (
        through.objects.filter(**{f"{fk}__in": ids})
        .values_list(fk, "tag__name")
        .order_by("tag__name")
    ):
        result[row_id].append(name)
    return result


def contacts_search(*, viewer, params: dict[str, str]) -> dict[str, list]:
    """Search organisations and people at once (the global search box)."""
    unknown = set(params) - {"q", "limit"}
    errors = {k: [_("Unknown parameter. Allowed: q, limit")] for k in unknown}
    term = normalize_term(params.get("q", ""))
    if len(term) < MIN_TERM_LENGTH:
        errors["q"] = [_("Enter at least %d characters.") % MIN_TERM_LENGTH]
    limit = 10
    if "limit" in params:
        limit = parse_int(params["limit"], "limit")
        if not 1 <= limit <= 50:
            errors["limit"] = [_("Between 1 and %d.") % 50]
    if errors:
        raise ValidationError(errors)
    orgs = organizations_visible_to(viewer).filter(archived_at__isnull=True)
    people = people_visible_to(viewer).filter(archived_at__isnull=True)
    return {
        "organizations": list(orgs.filter(search_q(orgs, term)).order_by("name", "id")[:limit]),
        "people": list(
            people.filter(search_q(people, term)).order_by("last_name", "first_name", "id")[:limit]
        ),
    }


def organizations_created_per_month(*, viewer, months: int = 12) -> list[tuple]:
    """Return [(first day of month, count)] of new visible organisations, oldest month first."""
    import datetime as dt

    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    today = timezone.localdate()
    starts = []
    year, month = today.year, today.month
    for _i in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    since = timezone.make_aware(dt.datetime.combine(starts[0], dt.time.min))
    rows = (
        organizations_visible_to(viewer)
        .filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[dt.date, int] = {}
    for row in rows:
        value = row["month"]
        key = value.date() if isinstance(value, dt.datetime) else value
        counts[key] = counts.get(key, 0) + row["n"]
    return [(start, counts.get(start, 0)) for start in starts]
