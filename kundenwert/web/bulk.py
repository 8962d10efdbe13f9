"""Bulk actions on the rows ticked in a list: assign owner or team, add or remove a tag, archive.

Each record goes through the entity's services on its own, so every permission check, audit
event and transaction is the one a single edit has: a refused record does not stop the others.
Ids the viewer cannot see are refused as "not found", with no name, like any other lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kundenwert.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from kundenwert.org.selectors import team_choices, user_choices

from .generic import EntityConfig, EntityView

MAX_IDS = 500
MAX_LISTED = 20  # refusals named in the message; the rest are only counted

ACTIONS = (
    ("owner", gettext_lazy("Assign owner")),
    ("team", gettext_lazy("Assign team")),
    ("add_tag", gettext_lazy("Add tag")),
    ("remove_tag", gettext_lazy("Remove tag")),
    ("archive", gettext_lazy("Archive")),
)


class QuickSelect(forms.Select):
    """A select written in Python: the bulk bar is on every list page, and Django's template
    rendering of a widget cost more than the list query (bench/web_bench.py)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) == chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class BulkForm(forms.Form):
    """The bulk bar under a list: which action, with which owner or tag."""

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=QuickSelect)
    owner_id = forms.TypedChoiceField(
        label=gettext_lazy("Owner"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=(),
        widget=QuickSelect,
    )
    team_id = forms.TypedChoiceField(
        label=gettext_lazy("Team"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=(),
        widget=QuickSelect,
    )
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=50, required=False)

    def __init__(
        self, *args: Any, viewer=None, actions: tuple[str, ...] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "id_bulk_%s")  # apart from the filter form's fields
        super().__init__(*args, **kwargs)
        offered = actions or tuple(key for key, _label in ACTIONS)
        self.fields["action"].choices = [(k, label) for k, label in ACTIONS if k in offered]
        if not {"add_tag", "remove_tag"} & set(offered):
            del self.fields["tag"]
        if "team" not in offered:
            del self.fields["team_id"]
        if "owner" not in offered:
            del self.fields["owner_id"]
        if viewer is not None:
            if "owner_id" in self.fields:
                self.fields["owner_id"].choices = [("", "—"), *user_choices(viewer=viewer)]
            if "team_id" in self.fields:
                self.fields["team_id"].choices = [("", "—"), *team_choices(viewer=viewer)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        if action == "owner" and not data.get("owner_id"):
            self.add_error("owner_id", _("Choose the new owner."))
        if action == "team" and not data.get("team_id"):
            self.add_error("team_id", _("Choose the new team."))
        if action in {"add_tag", "remove_tag"} and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Enter a tag."))
        return data


def parse_ids(values: list[str]) -> list[int]:
    """Return the distinct positive integer ids, in the order given; raise on anything else."""
    ids: list[int] = []
    for value in values:
        if not value.isdigit() or int(value) <= 0:
            raise ValidationError(_("Invalid selection."))
        if int(value) not in ids:
            ids.append(int(value))
    return ids


@dataclass
class Outcome:
    changed: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(getattr(exc, "detail", exc))


def apply(config: EntityConfig, *, actor, pk: int, action: str, data: dict[str, Any]) -> bool:
    """Apply the action to one record through the services; return whether it changed."""
    record = config.get(actor, pk)  # NotFound for ids out of the actor's sight
    version = record.version
    if action == "archive":
        result = config.archive(actor=actor, pk=pk)
    elif action in {"owner", "team"}:
        key = f"{action}_id"
        result = config.update(actor=actor, pk=pk, data={key: data[key]}, expected_version=None)
    else:
        tag = data["tag"].strip()
        names = {t.name for t in record.tags.all()}
        names = names | {tag} if action == "add_tag" else names - {tag}
        # The tags were read outside the service's transaction: the version guards a
        # concurrent change from being overwritten.
        result = config.update(
            actor=actor, pk=pk, data={"tags": sorted(names)}, expected_version=version
        )
    return result.version != version


def run(config: EntityConfig, *, actor, ids: list[int], action: str, data: dict) -> Outcome:
    """Apply the action record by record; each service call is its own transaction."""
    outcome = Outcome()
    for pk in ids:
        try:
            changed = apply(config, actor=actor, pk=pk, action=action, data=data)
        except NotFound:
            outcome.refused.append(_("#%(id)d: not found") % {"id": pk})
        except (PermissionDenied, DomainError, ValidationError) as exc:
            name = _name(config, actor, pk)
            outcome.refused.append(f"{name}: {_reason(exc)}")
        else:
            if changed:
                outcome.changed += 1
            else:
                outcome.unchanged += 1
    return outcome


def _name(config: EntityConfig, actor, pk: int) -> str:
    try:
        return str(config.get(actor, pk))
    except NotFound:
        return f"#{pk}"


def summary(outcome: Outcome) -> str:
    parts = [
        ngettext("%(count)d changed", "%(count)d changed", outcome.changed)
        % {"count": outcome.changed}
    ]
    if outcome.unchanged:
        parts.append(
            ngettext("%(count)d already as asked", "%(count)d already as asked", outcome.unchanged)
            % {"count": outcome.unchanged}
        )
    parts.append(
        ngettext("%(count)d refused", "%(count)d refused", len(outcome.refused))
        % {"count": len(outcome.refused)}
    )
    return ", ".join(parts)


class BulkView(EntityView):
    """Apply one action to the ticked rows, then go back to the list with a summary."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        config = self.entity
        back = self.back_url()
        form = BulkForm(request.POST, viewer=request.user, actions=config.bulk_actions)
        try:
            ids = parse_ids(request.POST.getlist("ids"))
        except ValidationError as exc:
            messages.error(request, _reason(exc))
            return redirect(back)
        if not ids:
            messages.error(request, _("Select at least one row."))
            return redirect(back)
        if len(ids) > MAX_IDS:
            messages.error(
                request, _("Select at most %(count)d rows at a time.") % {"count": MAX_IDS}
            )
            return redirect(back)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        outcome = run(
            config,
            actor=request.user,
            ids=ids,
            action=form.cleaned_data["action"],
            data=form.cleaned_data,
        )
        level = messages.WARNING if outcome.refused else messages.SUCCESS
        messages.add_message(request, level, summary(outcome))
        for line in outcome.refused[:MAX_LISTED]:
            messages.warning(request, line)
        if len(outcome.refused) > MAX_LISTED:
            rest = len(outcome.refused) - MAX_LISTED
            messages.warning(request, _("… and %(count)d more refused.") % {"count": rest})
        return redirect(back)

    def back_url(self) -> str:
        """Return to the list the user came from, with its filters, never to another site."""
        list_url = self.entity.url("list")
        target = self.request.POST.get("next", "")
        if target.startswith(list_url) and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}
        ):
            return target
        return list_url
