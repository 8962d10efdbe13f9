"""Cached permissions follow every change of roles and teams, in every process."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kundenwert.identity.models import User
from kundenwert.org.models import Level, Role, Team
from kundenwert.org.policies import is_admin, permissions_for

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request (in any process) loads it."""
    return User.objects.get(pk=user.pk)


def test_a_warm_cache_answers_without_a_query(people):
    permissions_for(fresh(people["anna"]))
    with CaptureQueriesContext(connection) as queries:
        perms = permissions_for(fresh(people["anna"]))
    assert len(queries) == 1  # loading the user; the permissions come from the cache
    assert perms.level("organization", "read") == Level.TEAM


def test_granting_a_role_takes_effect_on_the_next_request(people):
    assert not is_admin(fresh(people["anna"]))
    Role.objects.get(key="administrator").users.add(people["anna"])
    assert is_admin(fresh(people["anna"]))
    people["anna"].roles.remove(Role.objects.get(key="administrator"))
    assert not is_admin(fresh(people["anna"]))


def test_editing_a_role_renews_its_holders(people):
    assert permissions_for(fresh(people["vera"])).level("person", "edit") == Level.NONE
    role = Role.objects.get(key="read-only")
    role.permissions = {**role.permissions, "person": {"read": 3, "edit": 3, "delete": 0}}
    role.save()
    assert permissions_for(fresh(people["vera"])).level("person", "edit") == Level.ALL


def test_joining_a_team_renews_the_new_teammates_too(people):
    anna, ben = people["anna"], people["ben"]
    assert ben.pk not in permissions_for(fresh(anna)).teammate_ids
    Team.objects.get(name="Nord").members.add(ben)
    assert ben.pk in permissions_for(fresh(anna)).teammate_ids
    ben.teams.remove(Team.objects.get(name="Nord"))
    assert ben.pk not in permissions_for(fresh(anna)).teammate_ids


def test_deleting_a_team_renews_its_members(people):
    anna = people["anna"]
    nord = Team.objects.get(name="Nord")
    assert nord.pk in permissions_for(fresh(anna)).team_ids
    nord.delete()
    assert permissions_for(fresh(anna)).team_ids == frozenset()


def test_clearing_a_role_renews_everyone_who_held_it(people):
    assert permissions_for(fresh(people["anna"])).level("organization", "edit") == Level.OWN
    Role.objects.get(key="sales").users.clear()
    assert permissions_for(fresh(people["anna"])).level("organization", "edit") == Level.NONE
