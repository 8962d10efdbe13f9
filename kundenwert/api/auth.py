"""API authentication: Bearer tokens for integrations, the session (with CSRF) for the browser."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from kundenwert.core.errors import PermissionDenied
from kundenwert.identity.services import token_authenticate


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        found = token_authenticate(token)
        if found is None:
            return None
        request.api_token = found
        request.user = found.user
        if not request.headers.get("Accept-Language") and found.user.language:
            # An integration that states no language gets its user's own.
            translation.activate(found.user.language)
            request.LANGUAGE_CODE = found.user.language
        return found.user


class BrowserSessionAuth(SessionAuth):
    """Django's session cookie; unsafe methods need the CSRF token."""

    def __call__(self, request):
        # Without a signed-in session there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            request.api_token = None
        return user


AUTH = [TokenAuth(), BrowserSessionAuth()]


def reader(request):
    """Return the acting user of a read request."""
    return request.auth


def writer(request):
    """Return the acting user of a write request; read-only tokens are refused (403)."""
    token = getattr(request, "api_token", None)
    if token is not None and token.is_read_only:
        raise PermissionDenied(
            _("This API token is read-only."), action="write with read-only token"
        )
    return request.auth
