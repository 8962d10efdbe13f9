"""Web pages of the sales pipeline: the Kanban board per pipeline."""

from __future__ import annotations

urlpatterns: list = []
