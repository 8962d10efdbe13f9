"""Tell the audit trail which door a request came through (web or api) and from where."""

from __future__ import annotations

from kundenwert.core.context import acting_through
from kundenwert.core.net import client_ip


class RequestSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path_info.startswith("/api/") else "web"
        with acting_through(source, ip=client_ip(request)):
            return self.get_response(request)
