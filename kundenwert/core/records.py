"""Helpers the domain services share: applying validated changes and locking a record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from .errors import ConflictError, PreconditionFailed


def merge_errors(*errors: ValidationError) -> ValidationError:
    merged: dict[str, list[str]] = {}
    for error in errors:
        for key, messages in error.message_dict.items():
            merged.setdefault(key, []).extend(messages)
    return ValidationError(merged)


def run_validators(instance: models.Model, data: dict, normalizers: dict) -> None:
    """Normalise `data` field by field onto `instance`, collecting every error before raising."""
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        normalize = normalizers.get(name)
        try:
            value = normalize(value) if normalize else value
        except (TypeError, AttributeError, ValueError):
            # A caller passed the wrong type (adapters validate types first; services must not
            # 500 for callers that do not).
            errors.setdefault(name, []).append(_("Enter a valid value."))
            continue
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key, []).extend(messages)
            else:
                errors.setdefault(name, []).extend(exc.messages)
            continue
        setattr(instance, name, value)
    try:
        instance.full_clean(
            exclude=[n for n in ("owner", "team", "parent", "tags") if n not in data]
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    if errors:
        raise ValidationError(errors)


def check_version(instance, expected_version: int | None) -> None:
    """Refuse a write based on a stale copy (ETag/If-Match)."""
    if expected_version is not None and instance.version != expected_version:
        raise PreconditionFailed(
            _("Someone else changed this record since you loaded it. Reload and try again.")
        )


def check_not_archived(instance) -> None:
    if getattr(instance, "archived_at", None) is not None:
        raise ConflictError(_("This record is archived. Restore it first."), code="archived")
