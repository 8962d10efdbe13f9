"""Geometry for server-rendered SVG bar charts (no JavaScript, no inline styles)."""

from __future__ import annotations

from django import template

register = template.Library()

CHART_HEIGHT = 120
BAR_WIDTH = 24
BAR_GAP = 8


@register.simple_tag
def chart_bars(series) -> dict:
    """Return the chart size and one bar (x, y, height, label, count) per (label, count) pair."""
    peak = max((count for _label, count in series), default=0)
    bars = []
    for index, (label, count) in enumerate(series):
        height = round(count * CHART_HEIGHT / peak) if peak else 0
        bars.append(
            {
                "x": index * (BAR_WIDTH + BAR_GAP),
                "y": CHART_HEIGHT - height,
                "height": height,
                "width": BAR_WIDTH,
                "label": label,
                "count": count,
            }
        )
    width = max(len(bars) * (BAR_WIDTH + BAR_GAP) - BAR_GAP, 0)
    return {"bars": bars, "width": width, "height": CHART_HEIGHT, "peak": peak}
