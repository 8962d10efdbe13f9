"""REST resources of leads: unqualified inquiries, their qualification and conversion."""

from __future__ import annotations

from ninja import Router

leads = Router(tags=["leads"])
