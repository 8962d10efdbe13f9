"""REST resources of orders, invoices (with credit notes) and payments, and subscriptions."""

from __future__ import annotations

from ninja import Router

orders = Router(tags=["orders"])
invoices = Router(tags=["invoices"])
subscriptions = Router(tags=["subscriptions"])
