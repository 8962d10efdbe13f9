"""Write use cases of identity: issuing and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import zoneinfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.core.errors import NotFound, PermissionDenied, ValidationError

from .models import ApiToken, User
from .signals import token_issued, token_revoked, user_settings_changed

TOKEN_PREFIX = "kw"


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: no dictionary attack applies.
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(
    *,
    actor: User | None,
    user: User,
    name: str = "",
    is_read_only: bool = False,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for `user` and return it with its plaintext, which is never stored.

    Publishes `token_issued` inside the transaction (the audit trail records it).
    """
    if expires_in_days is not None and expires_in_days <= 0:
        raise ValidationError({"expires_in_days": [_("Must be a positive number of days.")]})
    if not user.is_active:
        raise ValidationError({"user": [_("The user is inactive.")]})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secret}"
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=prefix,
            key_hash=_hash(plaintext),
            is_read_only=is_read_only,
            expires_at=expires_at,
        )
        token_issued.send(sender=ApiToken, actor=actor, token=token)
    return token, plaintext


def token_revoke(*, actor: User | None, prefix: str) -> ApiToken:
    """Revoke the token with this prefix; revoking twice is harmless."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
        if token is None:
            raise NotFound(_("No token with this prefix."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            token_revoked.send(sender=ApiToken, actor=actor, token=token)
    return token


def token_authenticate(plaintext: str) -> ApiToken | None:
    """Return the active token matching `plaintext`, or None. Constant-time comparison."""
    parts = (plaintext or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.active().select_related("user").filter(prefix=parts[1]).first()
    if token is None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.key_hash, _hash(plaintext)):
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute so reads do not turn into writes.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_update_settings(*, actor: User, user_id: int, language: str, time_zone: str) -> User:
    """Change a user's own language and time zone; nobody may change another user's settings.

    Publishes `user_settings_changed` inside the transaction when something changed (the audit
    trail records the before/after values).
    """
    if not getattr(actor, "is_authenticated", False) or actor.pk != user_id:
        raise PermissionDenied(
            _("You may change only your own settings."),
            action="user.settings",
            target_type="user",
            target_id=str(user_id),
        )
    errors: dict[str, list[str]] = {}
    if language not in User.Language.values:
        errors["language"] = [_("Choose German or English.")]
    if time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Unknown time zone.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None:
            raise NotFound(_("No such user."))
        before = {"language": user.language, "time_zone": user.time_zone}
        after = {"language": language, "time_zone": time_zone}
        if before != after:
            user.language, user.time_zone = language, time_zone
            user.save(update_fields=["language", "time_zone"])
            user_settings_changed.send(
                sender=User, actor=actor, user=user, before=before, after=after
            )
    # The actor's own object too, so the rest of this request sees the new settings.
    actor.language, actor.time_zone = user.language, user.time_zone
    return user
