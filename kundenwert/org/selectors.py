"""Read use cases for the company directory: users and teams (every signed-in user sees it)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kundenwert.core.errors import NotFound
from kundenwert.core.listing import Filter, ListSpec, parse_bool, parse_int, run_list, sorts
from kundenwert.core.pagination import Page

from .models import Team
from .policies import permissions_for

USER_LIST = ListSpec(
    filters={
        "team": Filter(lambda v: Q(teams__id=parse_int(v, "team")), "team id"),
        "active": Filter(lambda v: Q(is_active=parse_bool(v, "active")), "true/false"),
    },
    sorts=sorts(("username", ["username"])),
    default_sort="username",
    searchable=False,
)
TEAM_LIST = ListSpec(
    filters={}, sorts=sorts(("name", ["name"])), default_sort="name", searchable=False
)


def _require_signed_in(viewer) -> None:
    if permissions_for(viewer).user_id is None:
        raise NotFound(_("Not found."))


def users_visible_to(viewer) -> QuerySet:
    _require_signed_in(viewer)
    return get_user_model().objects.all()


def teams_visible_to(viewer) -> QuerySet[Team]:
    _require_signed_in(viewer)
    return Team.objects.all()


def user_list(*, viewer, params: dict[str, str]) -> Page:
    qs = users_visible_to(viewer).prefetch_related("teams", "roles")
    return run_list(qs, USER_LIST, params=params)


def team_list(*, viewer, params: dict[str, str]) -> Page:
    return run_list(teams_visible_to(viewer).prefetch_related("members"), TEAM_LIST, params=params)


def user_get(*, viewer, user_id: int):
    user = users_visible_to(viewer).prefetch_related("teams", "roles").filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("User not found."))
    return user


def team_get(*, viewer, team_id: int) -> Team:
    team = teams_visible_to(viewer).prefetch_related("members").filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Team not found."))
    return team


CHOICES_LIMIT = 500  # the directory of the companies Kundenwert is built for fits in one list


def user_choices(*, viewer, limit: int = CHOICES_LIMIT) -> list[tuple[int, str]]:
    """Return (id, name) of the active users, by user name: the options of an owner select.

    One query on the user columns alone (no teams or roles), for pages that only need names.
    """
    rows = (
        users_visible_to(viewer)
        .filter(is_active=True)
        .order_by("username", "id")
        .values_list("id", "username", "first_name", "last_name")[:limit]
    )
    return [(pk, f"{first} {last}".strip() or username) for pk, username, first, last in rows]


def team_choices(*, viewer, limit: int = CHOICES_LIMIT) -> list[tuple[int, str]]:
    """Return (id, name) of the teams, by name: the options of a team select."""
    return list(teams_visible_to(viewer).order_by("name", "id").values_list("id", "name")[:limit])
