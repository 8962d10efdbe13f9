"""Calls, meetings, notes, tasks and emails: what was done with or for a customer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kundenwert.contacts.models import Organization, Person
from kundenwert.core.models import ArchivableModel
from kundenwert.org.models import Team
from kundenwert.org.policies import scope_q


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, viewer, action: str = "read"):
        """Own = the viewer owns the activity or it is assigned to them."""
        q = scope_q(viewer, "activity", action, own_fields=("owner_id", "assignee_id"))
        return self if q is None else self.filter(q)

    def open_tasks(self):
        return self.filter(type=Activity.Type.TASK, is_done=False, archived_at__isnull=True)


class Activity(ArchivableModel):
    """One interaction or piece of work on the timeline of organisations and people."""

    class Type(models.TextChoices):
        CALL = "call", _("call")
        MEETING = "meeting", _("meeting")
        NOTE = "note", _("note")
        TASK = "task", _("task")
        EMAIL = "email", _("email")

    class BodyFormat(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        HTML = "html", "HTML"

    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    body_format = models.CharField(
        max_length=8, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )
    body_html = models.TextField(blank=True, editable=False)
    starts_at = models.DateTimeField(_("start"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    is_done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    # When the activity happened or is due: the timeline's order, never empty.
    occurred_at = models.DateTimeField(db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_activities"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_activities",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    organizations = models.ManyToManyField(Organization, related_name="activities", blank=True)
    people = models.ManyToManyField(Person, related_name="activities", blank=True)
    search_text = models.TextField(blank=True, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="activity_occurred_id"),
            models.Index(fields=["assignee", "is_done", "due_at"], name="activity_assignee_open"),
            models.Index(fields=["owner", "occurred_at", "id"], name="activity_owner"),
            models.Index(fields=["updated_at", "id"], name="activity_updated_id"),
            models.Index(fields=["due_at", "id"], name="activity_due_id"),
        ]

    def __str__(self) -> str:
        return self.subject
