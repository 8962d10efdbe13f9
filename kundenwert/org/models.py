"""Teams and roles of the company that uses Kundenwert (the base of employee relationships)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """How far a permission reaches: nothing, own records, the team's records, everything."""

    NONE = 0, _("none")
    OWN = 1, _("own")
    TEAM = 2, _("team")
    ALL = 3, _("all")


ACTIONS = ("read", "edit", "delete")
# The customer record (owned, team-scoped) and the offer side of #4.
CONTACT_ENTITIES = ("organization", "person", "activity")
ENTITIES = (*CONTACT_ENTITIES, "product", "deal", "lead", "order", "invoice")


class Team(models.Model):
    """A group of employees who share records, e.g. the sales region "Nord"."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A set of per-entity permission levels given to users, e.g. "Sales".

    `permissions` maps entity → action → level, e.g. {"organization": {"read": 2, "edit": 1}}.
    A user with several roles gets the highest level of each.
    """

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("May read the audit trail, manage users and delete records for good."),
    )
    permissions = models.JSONField(default=dict)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="roles", blank=True, verbose_name=_("users")
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def level(self, entity: str, action: str) -> int:
        return int(self.permissions.get(entity, {}).get(action, Level.NONE))


def _grant(read: int, edit: int, delete: int | None = None) -> dict:
    return {"read": read, "edit": edit, "delete": edit if delete is None else delete}


ALL, TEAM, OWN, NONE = Level.ALL, Level.TEAM, Level.OWN, Level.NONE

# The roles every installation starts with (see docs/adr/0002-permissions.md). The catalogue
# ("product") has no owner: editing it needs the level "all".
SHIPPED_ROLES: dict[str, dict] = {
    "administrator": {
        "name": "Administrator",
        "is_admin": True,
        "permissions": {e: _grant(ALL, ALL) for e in ENTITIES},
    },
    "manager": {
        "name": "Manager",
        "permissions": {
            **{e: _grant(ALL, TEAM) for e in CONTACT_ENTITIES},
            "product": _grant(ALL, ALL),
            "deal": _grant(ALL, TEAM),
            "lead": _grant(ALL, TEAM),
            "order": _grant(ALL, TEAM),
            "invoice": _grant(ALL, TEAM),
        },
    },
    "sales": {
        "name": "Sales",
        "permissions": {
            **{e: _grant(TEAM, OWN) for e in CONTACT_ENTITIES},
            "product": _grant(ALL, NONE),
            "deal": _grant(TEAM, OWN),
            "lead": _grant(TEAM, OWN),
            "order": _grant(TEAM, OWN),
            "invoice": _grant(TEAM, NONE),
        },
    },
    "service": {
        "name": "Service",
        "permissions": {
            **{e: _grant(ALL, OWN) for e in CONTACT_ENTITIES},
            "product": _grant(ALL, NONE),
            "deal": _grant(ALL, NONE),
            "lead": _grant(NONE, NONE),
            "order": _grant(ALL, NONE),
            "invoice": _grant(ALL, NONE),
        },
    },
    "marketing": {
        "name": "Marketing",
        "permissions": {
            "organization": _grant(ALL, OWN),
            "person": _grant(ALL, OWN),
            "activity": _grant(ALL, NONE),
            "product": _grant(ALL, NONE),
            "deal": _grant(ALL, NONE),
            "lead": _grant(ALL, OWN),
            "order": _grant(ALL, NONE),
            "invoice": _grant(NONE, NONE),
        },
    },
    "read-only": {"name": "Read-only", "permissions": {e: _grant(ALL, NONE) for e in ENTITIES}},
}
