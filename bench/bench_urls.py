"""The product's URLs plus /bench/raw-organizations: the same page as the API, in raw SQL.

Only for bench/api_bench.py; never part of the product's urls.
"""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from kundenwert.config.urls import urlpatterns as product_urls

_COLUMNS = (
    "id", "name", "legal_form", "vat_id", "industry", "website", "domain", "emails", "phones",
    "billing_address", "shipping_address", "owner_id", "team_id", "status", "parent_id",
    "archived_at", "created_at", "updated_at", "version",
)  # fmt: skip
_SQL = (
    "SELECT " + ", ".join(f"o.{c}" for c in _COLUMNS) + ", ARRAY(SELECT t.name FROM "
    "contacts_organization_tags ot JOIN contacts_tag t ON t.id = ot.tag_id "
    "WHERE ot.organization_id = o.id ORDER BY t.name) AS tags "
    "FROM contacts_organization o WHERE o.archived_at IS NULL AND (o.name, o.id) > (%s, %s) "
    "ORDER BY o.name, o.id LIMIT %s"
)


def raw_organizations(request):
    """One keyset page of organisations after (name, id): no auth, no ORM, no schema."""
    name = request.GET.get("name", "")
    after = int(request.GET.get("id", "0"))
    limit = min(int(request.GET.get("limit", "50")), 200)
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [name, after, limit])
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    next_cursor = f"{rows[-1]['name']}|{rows[-1]['id']}" if len(rows) == limit else None
    body = json.dumps({"items": rows, "next_cursor": next_cursor}, default=str)
    return HttpResponse(body, content_type="application/json")


urlpatterns = [*product_urls, path("bench/raw-organizations", raw_organizations)]
