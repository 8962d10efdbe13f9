"""kundenwert token create USERNAME [--read-only] [--expires-in DAYS] | token revoke PREFIX."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kundenwert.core.errors import NotFound
from kundenwert.identity.models import ApiToken
from kundenwert.identity.services import token_create, token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. A new token is printed once and stored hashed."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token for a user")
        create.add_argument("username")
        create.add_argument("--read-only", action="store_true")
        create.add_argument("--expires-in", type=int, metavar="DAYS")
        create.add_argument("--name", default="")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (or the whole token)")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="List a user's tokens (prefixes only)")
        listing.add_argument("username")

    def handle(self, *args, action, **options):
        if action == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user named {options['username']!r}.")
            try:
                token, plaintext = token_create(
                    actor=None,
                    user=user,
                    name=options["name"],
                    is_read_only=options["read_only"],
                    expires_in_days=options["expires_in"],
                )
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(plaintext)
            expires = token.expires_at.isoformat() if token.expires_at else "never"
            kind = "read-only" if token.is_read_only else "read-write"
            self.stderr.write(
                f"Token {token.prefix} for {user.username} ({kind}, expires {expires}). "
                "It is shown only this once."
            )
        elif action == "revoke":
            prefix = options["prefix"]
            parts = prefix.split("_")
            if len(parts) >= 3 and parts[0] == "kw":
                prefix = parts[1]
            try:
                token = token_revoke(actor=None, prefix=prefix)
            except NotFound:
                raise CommandError(f"No token with prefix {prefix!r}.") from None
            self.stdout.write(f"Revoked {token.prefix} of {token.user.username}.")
        else:
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"No user named {options['username']!r}.")
            for t in ApiToken.objects.filter(user=user).order_by("created_at"):
                state = "active" if t.is_active else "revoked/expired"
                ro = "read-only" if t.is_read_only else "read-write"
                self.stdout.write(f"{t.prefix}  {ro:10}  {state:15}  {t.name}")
