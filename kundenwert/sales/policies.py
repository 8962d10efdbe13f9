"""Who may read and configure pipelines; deals follow the record rules of org.policies."""

from __future__ import annotations

from kundenwert.org.models import Level
from kundenwert.org.policies import is_admin, permissions_for


def may_read_pipelines(viewer) -> bool:
    """Pipelines and stages are configuration: whoever may read any deal may read them."""
    return permissions_for(viewer).level("deal", "read") > Level.NONE


def may_configure_pipelines(viewer) -> bool:
    """Only administrators create, change, reorder or archive pipelines and stages."""
    return is_admin(viewer)
