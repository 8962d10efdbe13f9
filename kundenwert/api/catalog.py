"""REST resources of the catalogue: products, tax rates, price lists and prices, exchange rates."""

from __future__ import annotations

from ninja import Router

products = Router(tags=["catalogue"])
