"""Write audit events, and the decorator every domain service runs under."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import ParamSpec, TypeVar

from django.db import models, transaction
from django.utils import timezone

from kundenwert.core import context
from kundenwert.core.errors import PermissionDenied

from .models import AuditEvent

P = ParamSpec("P")
R = TypeVar("R")


def target_type_of(instance: models.Model) -> str:
    return instance._meta.model_name


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """Return the audit-relevant values of `instance` (foreign keys as ids)."""
    result = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = field.attname if getattr(field, "attname", None) else name
        result[name] = _jsonable(getattr(instance, attname))
    return result


def diff(before: dict, after: dict) -> dict:
    """Return {field: [before, after]} for the fields whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in keys
        if before.get(k) != after.get(k)
    }


def audit_record(
    *,
    actor,
    verb: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_repr: str = "",
    changes: dict | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one audit event, in the caller's transaction."""
    ctx = context.current()
    if target is not None:
        target_type = target_type or target_type_of(target)
        target_id = target_id or target.pk
        target_repr = target_repr or str(target)
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        actor=actor_obj,
        actor_repr=(str(actor_obj.get_username()) if actor_obj else "")[:200],
        source=ctx.source,
        verb=verb,
        target_type=target_type,
        target_id=str(target_id or ""),
        target_repr=target_repr[:200],
        changes=changes or {},
        ip=ctx.ip,
    )


def service(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a write use case in one transaction; record a permission denial if it raises one.

    The denial is written after the use case's own transaction rolled back, so the trail keeps
    the refused attempt while nothing of the attempted change remains.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except PermissionDenied as exc:
            with transaction.atomic():
                audit_record(
                    actor=kwargs.get("actor"),
                    verb=AuditEvent.Verb.PERMISSION_DENIED,
                    target_type=exc.target_type,
                    target_id=exc.target_id,
                    changes={"action": exc.action or fn.__name__},
                )
            raise

    return wrapper


def archive_recorded(*, actor, record, archived: bool) -> None:
    """Archive (or restore) a record with `archived_at` and `version`, and audit the change.

    Nothing happens when the record already is as asked: archiving twice is harmless. The
    caller has locked the record and checked the permission, inside its transaction.
    """
    if (record.archived_at is not None) == archived:
        return
    before = record.archived_at
    record.archived_at = timezone.now() if archived else None
    record.version += 1
    record.save(update_fields=["archived_at", "version", "updated_at"])
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.ARCHIVE if archived else AuditEvent.Verb.RESTORE,
        target=record,
        changes=diff({"archived_at": before}, {"archived_at": record.archived_at}),
    )
