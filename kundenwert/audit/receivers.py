"""Record what lower apps and Django's auth announce: sign-ins and API tokens."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from kundenwert.identity.signals import (
    password_changed,
    token_issued,
    token_revoked,
    user_settings_changed,
)

from .models import AuditEvent
from .services import audit_record, diff


def _token_changes(token) -> dict:
    return {
        "user": token.user.get_username(),
        "prefix": token.prefix,
        "read_only": token.is_read_only,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@receiver(token_issued, dispatch_uid="audit_token_issued")
def _on_token_issued(sender, actor, token, **kwargs) -> None:
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.TOKEN_ISSUE,
        target_type="apitoken",
        target_id=token.pk,
        target_repr=f"{token.prefix}…",
        changes=_token_changes(token),
    )


@receiver(token_revoked, dispatch_uid="audit_token_revoked")
def _on_token_revoked(sender, actor, token, **kwargs) -> None:
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.TOKEN_REVOKE,
        target_type="apitoken",
        target_id=token.pk,
        target_repr=f"{token.prefix}…",
        changes=_token_changes(token),
    )


@receiver(user_settings_changed, dispatch_uid="audit_user_settings_changed")
def _on_user_settings_changed(sender, actor, user, before, after, **kwargs) -> None:
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=user,
        target_type="user",
        changes=diff(before, after),
    )


@receiver(password_changed, dispatch_uid="audit_password_changed")
def _on_password_changed(sender, actor, user, **kwargs) -> None:
    # Only the fact of the change is recorded, never the hash.
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.UPDATE,
        target=user,
        target_type="user",
        changes={"password": ["…", "changed"]},
    )


@receiver(user_logged_in, dispatch_uid="audit_login")
def _on_login(sender, request, user, **kwargs) -> None:
    audit_record(actor=user, verb=AuditEvent.Verb.LOGIN, target=user, target_type="user")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, verb=AuditEvent.Verb.LOGOUT, target=user, target_type="user")


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the attempted user name is kept; Django has already masked the password.
    audit_record(
        actor=None,
        verb=AuditEvent.Verb.LOGIN_FAILED,
        target_type="user",
        target_repr=str(credentials.get("username", ""))[:150],
    )
