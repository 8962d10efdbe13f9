"""Helpers every endpoint shares: JSON responses, ETags and If-Match, query parameters."""

from __future__ import annotations

import re

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.utils.translation import gettext as _

from kundenwert.core.errors import PreconditionFailed, ValidationError

_ETAG = re.compile(r'^\s*(?:W/)?"(\d+)-(\d+)"\s*$')


def json(data, status: int = 200, etag: str | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, encoder=DjangoJSONEncoder, safe=False)
    if etag:
        response["ETag"] = etag
    return response


def page_response(page, rows: list[dict]) -> JsonResponse:
    return json({"items": rows, "next_cursor": page.next_cursor})


def query_params(request) -> dict[str, str]:
    """Return the query string as a dict, refusing repeated keys and NUL characters."""
    params: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key, values in request.GET.lists():
        if len(values) > 1:
            errors[key] = [_("Give this parameter once.")]
        elif "\x00" in key or "\x00" in values[0]:
            errors[key[:50].replace("\x00", "")] = [_("NUL characters are not allowed.")]
        else:
            params[key] = values[0]
    if errors:
        raise ValidationError(errors)
    return params


def expected_version(request, record_id: int) -> int | None:
    """Read If-Match: None when absent or `*`; a version number otherwise; 412 on mismatch."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    if not match or int(match.group(1)) != record_id:
        raise PreconditionFailed(_("The If-Match header does not match this record."))
    return int(match.group(2))
