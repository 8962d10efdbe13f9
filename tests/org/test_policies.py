"""The shipped roles and what they let each member of the cast read and change."""

from __future__ import annotations

import pytest

from kundenwert.org.models import ACTIONS, ENTITIES, Level, Role
from kundenwert.org.policies import can, forget_permissions, is_admin, permissions_for

A, T, OWN, N = Level.ALL, Level.TEAM, Level.OWN, Level.NONE

CONTACTS = ("organization", "person", "activity")
# (read, edit, delete) per entity, as issue #2 specifies the shipped roles for the customer
# record and docs/adr/0002-permissions.md for the catalogue, deals and leads (issue #4).
EXPECTED = {
    "administrator": {e: (A, A, A) for e in ENTITIES},
    "manager": {
        **{e: (A, T, T) for e in CONTACTS},
        "product": (A, A, A),
        "deal": (A, T, T),
        "lead": (A, T, T),
        "order": (A, T, T),
        "invoice": (A, T, T),
    },
    "sales": {
        **{e: (T, OWN, OWN) for e in CONTACTS},
        "product": (A, N, N),
        "deal": (T, OWN, OWN),
        "lead": (T, OWN, OWN),
        "order": (T, OWN, OWN),
        "invoice": (T, N, N),
    },
    "service": {
        **{e: (A, OWN, OWN) for e in CONTACTS},
        "product": (A, N, N),
        "deal": (A, N, N),
        "lead": (N, N, N),
        "order": (A, N, N),
        "invoice": (A, N, N),
    },
    "marketing": {
        "organization": (A, OWN, OWN),
        "person": (A, OWN, OWN),
        "activity": (A, N, N),
        "product": (A, N, N),
        "deal": (A, N, N),
        "lead": (A, OWN, OWN),
        "order": (A, N, N),
        "invoice": (N, N, N),
    },
    "read-only": {e: (A, N, N) for e in ENTITIES},
}


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_shipped_roles_grant_the_documented_levels(key):
    role = Role.objects.get(key=key)
    got = {e: tuple(role.level(e, a) for a in ACTIONS) for e in ENTITIES}
    assert got == EXPECTED[key]
    assert role.is_admin == (key == "administrator")


@pytest.mark.parametrize(
    ("who", "owner", "team", "action", "allowed"),
    [
        ("anna", "anna", "Nord", "edit", True),
        ("anna", "carl", "Nord", "edit", False),
        ("anna", "carl", "Nord", "read", True),
        ("anna", "ben", "Süd", "read", False),
        ("anna", "ben", "Nord", "read", True),  # a record put into her team
        ("mia", "carl", None, "edit", True),
        ("mia", "ben", "Süd", "edit", False),
        ("mia", "ben", "Süd", "read", True),
        ("sam", "anna", "Nord", "read", True),
        ("sam", "anna", "Nord", "edit", False),
        ("sam", "sam", "Süd", "delete", True),
        ("vera", "vera", None, "edit", False),
        ("admin", "ben", "Süd", "delete", True),
    ],
)
def test_can_follows_own_and_team_reach(people, who, owner, team, action, allowed):
    from kundenwert.org.models import Team

    team_id = Team.objects.get(name=team).pk if team else None
    assert (
        can(people[who], "organization", action, owner_id=people[owner].pk, team_id=team_id)
        is allowed
    )


def test_marketing_may_not_touch_activities(people):
    mx = people["max"]
    assert can(mx, "person", "edit", owner_id=mx.pk)
    assert not can(mx, "activity", "edit", owner_id=mx.pk)
    assert can(mx, "activity", "read", owner_id=people["anna"].pk)


def test_permissions_are_cached_until_forgotten(people):
    anna = people["anna"]
    assert not is_admin(anna)
    Role.objects.get(key="administrator").users.add(anna)
    assert not is_admin(anna)  # cached on the user object for the request
    forget_permissions(anna)
    assert is_admin(anna)
    assert permissions_for(anna).level("activity", "delete") == Level.ALL


def test_anonymous_and_inactive_users_may_do_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), "organization", "read", owner_id=None)
    anna = people["anna"]
    anna.is_active = False
    forget_permissions(anna)
    assert not can(anna, "organization", "read", owner_id=anna.pk)
