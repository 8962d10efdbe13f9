"""Template helpers for the web interface: presentation only, no queries."""

from __future__ import annotations

from django import template
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kundenwert.activities.models import Activity
from kundenwert.contacts.models import Organization, Person

register = template.Library()

_MODELS = {"organization": Organization, "person": Person, "activity": Activity}
# Audit keys that are no model field.
_EXTRA_LABELS = {"tags": _("Tags"), "affiliations": _("Organisations")}


def _field_label_and_choices(target_type: str, name: str):
    model = _MODELS.get(target_type)
    if model is None or name in _EXTRA_LABELS:
        return str(_EXTRA_LABELS.get(name, name)), {}
    try:
        field = model._meta.get_field(name)
    except Exception:  # an audit key that is no model field (tags, affiliations)
        return name, {}
    choices = dict(field.flatchoices) if getattr(field, "choices", None) else {}
    return capfirst(str(getattr(field, "verbose_name", name))), choices


def _show(value, choices: dict) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    return str(choices.get(value, value))


@register.filter
def change_lines(event) -> list[tuple[str, str, str]]:
    """Turn an audit event's changes into (field label, before, after) lines."""
    lines = []
    for name, pair in sorted((event.changes or {}).items()):
        label, choices = _field_label_and_choices(event.target_type, name)
        before, after = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        lines.append((label, _show(before, choices), _show(after, choices)))
    return lines


@register.filter
def get_item(mapping: dict, key: str):
    """Look up `key` in a dict (the list page's current filter values)."""
    return mapping.get(key) if isinstance(mapping, dict) else None
