"""The errors services raise; every adapter maps them once (API: JSON problems, web: forms)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError

__all__ = [
    "ConflictError",
    "DomainError",
    "NotFound",
    "PermissionDenied",
    "PreconditionFailed",
    "ValidationError",
]


class DomainError(Exception):
    """A request that is well-formed but breaks a business rule."""

    code = "domain_error"
    status = 400

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class NotFound(DomainError):
    """The record does not exist or the viewer may not see it (never tell which)."""

    code = "not_found"
    status = 404


class ConflictError(DomainError):
    """The change collides with the current state (a duplicate, a dependent record)."""

    code = "conflict"
    status = 409


class PreconditionFailed(DomainError):
    """The client's copy is stale: someone else saved first."""

    code = "precondition_failed"
    status = 412


class PermissionDenied(DjangoPermissionDenied):
    """The viewer may see the record but may not do this to it."""

    def __init__(
        self,
        detail: str = "You do not have permission to do this.",
        *,
        action: str = "",
        target_type: str = "",
        target_id: str = "",
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.action = action
        self.target_type = target_type
        self.target_id = target_id


def denial_message(entity: str, action: str) -> str:
    """Say in the user's language what was refused: one whole sentence per case."""
    from django.utils.translation import gettext as _

    messages = {
        ("organization", "edit"): _("You may not change this organisation."),
        ("organization", "delete"): _("You may not archive or restore this organisation."),
        ("person", "edit"): _("You may not change this person."),
        ("person", "delete"): _("You may not archive or restore this person."),
        ("activity", "edit"): _("You may not change this activity."),
        ("activity", "delete"): _("You may not archive or restore this activity."),
    }
    if action == "delete permanently":
        return _("Only administrators may delete records permanently.")
    return messages.get((entity, action), _("You do not have permission to do this."))
