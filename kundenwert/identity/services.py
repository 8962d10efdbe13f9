"""Write use cases of identity: issuing and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.core.errors import NotFound, ValidationError

from .models import ApiToken, User
from .signals import token_issued, token_revoked

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
