"""REST resources of the sales pipeline: pipelines with their stages, deals and stage moves."""

from __future__ import annotations

from ninja import Router

pipelines = Router(tags=["pipelines"])
deals = Router(tags=["deals"])
