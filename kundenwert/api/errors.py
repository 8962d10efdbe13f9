"""Map service errors once to JSON problems: {"code", "detail", "errors": {field: [msg]}}."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import audit_record
from kundenwert.core.errors import DomainError, PermissionDenied


def problem(status: int, code: str, detail: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse(
        {"code": code, "detail": str(detail), "errors": errors or {}}, status=status
    )


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _ninja_errors(exc: NinjaValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(p) for p in item.get("loc", []) if p not in {"body", "query", "path", "payload"}]
        key = ".".join(loc) or "__all__"
        errors.setdefault(key, []).append(str(item.get("msg", "invalid")))
    return errors


def install(api) -> None:
    @api.exception_handler(DjangoValidationError)
    def _validation(request, exc):
        errors = _field_errors(exc)
        # Bad query parameters (unknown filters, cursors) are a 400; bad field values a 422.
        status = 400 if request.method == "GET" else 422
        return problem(status, "invalid", _("The request has invalid values."), errors)

    @api.exception_handler(NinjaValidationError)
    def _schema(request, exc):
        status = 400 if request.method == "GET" else 422
        return problem(status, "invalid", _("The request has invalid values."), _ninja_errors(exc))

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        if exc.action == "write with read-only token":
            audit_record(
                actor=request.auth,
                verb=AuditEvent.Verb.PERMISSION_DENIED,
                target_type="api",
                target_id="",
                changes={"action": exc.action, "path": request.path[:200]},
            )
        return problem(403, "permission_denied", getattr(exc, "detail", "") or _("Forbidden."))

    @api.exception_handler(DomainError)
    def _domain(request, exc):
        return problem(exc.status, exc.code, exc.detail)

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc):
        response = problem(401, "not_authenticated", _("Authentication required."))
        response["WWW-Authenticate"] = 'Bearer realm="kundenwert"'
        return response

    @api.exception_handler(Http404)
    def _404(request, exc):
        return problem(404, "not_found", _("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return problem(413, "too_large", _("The request body is too large."))

    @api.exception_handler(HttpError)
    def _http(request, exc):
        return problem(exc.status_code, "error", str(exc))
