"""The bulk-action bar under a list (see kundenwert.web.bulk)."""

from __future__ import annotations

from django import template

from kundenwert.web.bulk import MAX_IDS, BulkForm

register = template.Library()


@register.inclusion_tag("web/bulk/_bar.html", takes_context=True)
def bulk_bar(context, config) -> dict:
    """Render the form that applies an action to the ticked rows of `config`'s list."""
    request = context["request"]
    return {
        "config": config,
        "form": BulkForm(viewer=request.user, actions=config.bulk_actions),
        "next": request.get_full_path(),
        "max_ids": MAX_IDS,
        "csrf_token": context.get("csrf_token"),
    }
