"""Renew users' permission keys when roles or teams change, so cached permissions expire.

Every path counts: services, the Django shell, the admin, raw `Role.users.add(...)`. A team
change touches all its members, because "team" permissions depend on who one's teammates are.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

from kundenwert.identity.models import new_permissions_key

from .models import Role, Team


def renew_permissions(user_ids) -> None:
    ids = {i for i in user_ids if i is not None}
    if ids:
        get_user_model().objects.filter(pk__in=ids).update(permissions_key=new_permissions_key())


def _team_member_ids(team_ids) -> set[int]:
    return set(
        Team.members.through.objects.filter(team_id__in=list(team_ids)).values_list(
            "user_id", flat=True
        )
    )


@receiver(m2m_changed, sender=Role.users.through, dispatch_uid="org_role_users_changed")
def _role_users_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith(("post_", "pre_clear")):
        return
    if reverse:  # user.roles.add(...): the user is the one affected
        renew_permissions([instance.pk])
    elif pk_set:
        renew_permissions(pk_set)
    else:  # clear: everyone who held the role
        renew_permissions(instance.users.values_list("pk", flat=True))


@receiver(m2m_changed, sender=Team.members.through, dispatch_uid="org_team_members_changed")
def _team_members_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith(("pre_", "post_")):
        return
    if reverse:  # user.teams.add(team ids): the user and the members of those teams
        team_ids = set(pk_set or []) | set(instance.teams.values_list("pk", flat=True))
        renew_permissions({instance.pk} | _team_member_ids(team_ids))
    else:  # team.members.add(user ids): everyone in the team, before and after
        renew_permissions(set(pk_set or []) | _team_member_ids([instance.pk]))


@receiver(post_save, sender=Role, dispatch_uid="org_role_saved")
def _role_saved(sender, instance, created, **kwargs) -> None:
    if not created:
        renew_permissions(instance.users.values_list("pk", flat=True))


@receiver(pre_delete, sender=Role, dispatch_uid="org_role_deleted")
def _role_deleted(sender, instance, **kwargs) -> None:
    renew_permissions(instance.users.values_list("pk", flat=True))


@receiver(pre_delete, sender=Team, dispatch_uid="org_team_deleted")
def _team_deleted(sender, instance, **kwargs) -> None:
    renew_permissions(_team_member_ids([instance.pk]))
