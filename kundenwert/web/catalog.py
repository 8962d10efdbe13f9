"""Web pages of the catalogue that the generic entity views do not cover."""

from __future__ import annotations

urlpatterns: list = []
