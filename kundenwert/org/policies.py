"""Who may do what: the one place that turns roles and teams into record-level rules.

Every selector narrows its queryset with `scope_q(viewer, entity, "read")` and every service
checks `can(viewer, entity, action, record)`, so the API, the web UI and the CLI cannot differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Q

from .models import ACTIONS, ENTITIES, Level, Role, Team

_CACHE_ATTR = "_kundenwert_permissions"


@dataclass(frozen=True)
class Permissions:
    """The effective permissions of one user, computed once per request."""

    user_id: int | None
    is_admin: bool = False
    levels: dict[tuple[str, str], int] = field(default_factory=dict)
    team_ids: frozenset[int] = frozenset()
    teammate_ids: frozenset[int] = frozenset()

    def level(self, entity: str, action: str) -> int:
        return self.levels.get((entity, action), Level.NONE)


_NOBODY = Permissions(user_id=None)


def _cache_key(user) -> str:
    return f"kw:perms:{user.pk}:{user.permissions_key}:{int(user.is_superuser)}"


def permissions_for(user) -> Permissions:
    """Return the user's effective permissions.

    Cached on the user object for the request, and in Django's cache under the user's
    `permissions_key`, which the org receivers renew whenever roles or teams change — so most
    requests compute nothing and run no query.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NOBODY
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    cached = cache.get(_cache_key(user))
    if cached is not None:
        setattr(user, _CACHE_ATTR, cached)
        return cached
    roles = list(Role.objects.filter(users=user))
    levels: dict[tuple[str, str], int] = {}
    for entity in ENTITIES:
        for action in ACTIONS:
            levels[(entity, action)] = max((r.level(entity, action) for r in roles), default=0)
    # One query for both: the user's teams and everyone who shares one of them.
    membership = Team.members.through.objects.filter(
        team_id__in=Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    ).values_list("team_id", "user_id")
    team_ids: set[int] = set()
    teammates: set[int] = set()
    for team_id, member_id in membership:
        team_ids.add(team_id)
        teammates.add(member_id)
    perms = Permissions(
        user_id=user.pk,
        is_admin=any(r.is_admin for r in roles) or user.is_superuser,
        levels=levels,
        team_ids=frozenset(team_ids),
        teammate_ids=frozenset(teammates | {user.pk}),
    )
    if perms.is_admin:
        perms = Permissions(
            user_id=user.pk,
            is_admin=True,
            levels={(e, a): Level.ALL for e in ENTITIES for a in ACTIONS},
            team_ids=perms.team_ids,
            teammate_ids=perms.teammate_ids,
        )
    setattr(user, _CACHE_ATTR, perms)
    cache.set(_cache_key(user), perms, timeout=CACHE_SECONDS)
    return perms


CACHE_SECONDS = 300


def forget_permissions(user) -> None:
    """Drop the permissions cached on this user object and reload its permissions key."""
    if user is None:
        return
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    if user.pk is not None:
        user.refresh_from_db(fields=["permissions_key"])


def scope_q(
    user,
    entity: str,
    action: str,
    *,
    own_fields: tuple[str, ...] = ("owner_id",),
    team_field: str | None = "team_id",
) -> Q | None:
    """Return the filter a user's `action` on `entity` is limited to; None means everything.

    "own": the user owns the record (or another field in `own_fields` names them);
    "team": the owner is a member of one of the user's teams, or the record is assigned to one
    of them.
    """
    perms = permissions_for(user)
    level = perms.level(entity, action)
    if level >= Level.ALL:
        return None
    if level == Level.NONE or perms.user_id is None:
        return Q(pk__in=[])
    q = Q()
    for name in own_fields:
        q |= Q(**{name: perms.user_id})
    if level == Level.TEAM:
        q |= Q(**{f"{own_fields[0]}__in": sorted(perms.teammate_ids)})
        if team_field and perms.team_ids:
            q |= Q(**{f"{team_field}__in": sorted(perms.team_ids)})
    return q


def can(
    user,
    entity: str,
    action: str,
    *,
    owner_id: int | None,
    team_id: int | None = None,
    extra_own_ids: tuple[int | None, ...] = (),
) -> bool:
    """Tell whether `user` may do `action` to a record with this owner and team."""
    perms = permissions_for(user)
    level = perms.level(entity, action)
    if perms.user_id is None or level == Level.NONE:
        return False
    if level >= Level.ALL:
        return True
    if owner_id == perms.user_id or perms.user_id in extra_own_ids:
        return True
    if level == Level.TEAM:
        return owner_id in perms.teammate_ids or (team_id is not None and team_id in perms.team_ids)
    return False


def is_admin(user) -> bool:
    return permissions_for(user).is_admin
