"""API tokens: only a hash is stored; expiry and revocation stop them; the CLI works."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest
from django.utils import timezone

from kundenwert.audit.models import AuditEvent
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.identity.models import ApiToken
from kundenwert.identity.services import token_authenticate, token_create, token_revoke
from tests.core.sandbox import migrated, run_cli
from tests.core.state import nothing_changed, one_event

Verb = AuditEvent.Verb


def test_only_the_hash_is_stored_and_issuing_is_audited(people):
    anna = people["anna"]
    with one_event(Verb.TOKEN_ISSUE) as watch:
        token, plaintext = token_create(
            actor=people["admin"], user=anna, name="ERP", expires_in_days=30
        )
    kw, prefix, secret = plaintext.split("_", 2)
    assert (kw, prefix) == ("kw", token.prefix)
    assert len(secret) >= 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["key_hash"] == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = " ".join(str(v) for v in row.values())
    assert secret not in stored and plaintext not in stored
    assert timezone.now() + dt.timedelta(days=29) < row["expires_at"]
    (event,) = watch.events
    assert (event.actor, event.target_type, event.target_id) == (
        people["admin"],
        "apitoken",
        str(token.pk),
    )
    assert event.changes["user"] == "anna" and event.changes["read_only"] is False
    assert secret not in str(event.changes)


def test_authentication_accepts_only_the_exact_active_token(people):
    token, plaintext = token_create(actor=None, user=people["anna"])
    assert token_authenticate(plaintext) == token
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    for wrong in (
        plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"),
        "",
        "kw_",
        "Bearer x",
        plaintext.replace("kw_", "xx_"),
        f"kw_{token.prefix}",
        plaintext + "_",
    ):
        assert token_authenticate(wrong) is None, wrong


def test_expiry_stops_authentication(people):
    token, plaintext = token_create(actor=None, user=people["anna"], expires_in_days=1)
    assert token_authenticate(plaintext) == token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert token_authenticate(plaintext) is None


def test_revocation_stops_authentication_and_is_audited_once(people):
    token, plaintext = token_create(actor=None, user=people["anna"])
    with one_event(Verb.TOKEN_REVOKE) as watch:
        token_revoke(actor=people["admin"], prefix=token.prefix)
    assert watch.events[0].actor == people["admin"]
    assert token_authenticate(plaintext) is None
    with nothing_changed():
        token_revoke(actor=people["admin"], prefix=token.prefix)
    with nothing_changed(), pytest.raises(NotFound):
        token_revoke(actor=people["admin"], prefix="00000000")


def test_inactive_users_tokens_stop_working(people):
    anna = people["anna"]
    _token, plaintext = token_create(actor=None, user=anna)
    anna.is_active = False
    anna.save(update_fields=["is_active"])
    assert token_authenticate(plaintext) is None
    with nothing_changed(), pytest.raises(ValidationError) as info:
        token_create(actor=None, user=anna)
    assert set(info.value.message_dict) == {"user"}


@pytest.mark.parametrize("days", [0, -3])
def test_expiry_must_be_positive(people, days):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        token_create(actor=None, user=people["anna"], expires_in_days=days)
    assert set(info.value.message_dict) == {"expires_in_days"}


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tokens")
    return data_dir, migrated(data_dir, "ops")


def token_rows(data_dir) -> list[tuple]:
    db = sqlite3.connect(data_dir / "kundenwert.sqlite3")
    try:
        return db.execute(
            "SELECT prefix, key_hash, is_read_only, expires_at, revoked_at FROM identity_apitoken "
            "ORDER BY id"
        ).fetchall()
    finally:
        db.close()


def test_cli_creates_lists_and_revokes(installation):
    data_dir, env = installation
    before = len(token_rows(data_dir))
    made = run_cli(env, "token", "create", "ops", "--read-only", "--expires-in", "30")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kw_")
    plaintext = lines[0]
    prefix = plaintext.split("_")[1]
    rows = token_rows(data_dir)
    assert len(rows) == before + 1
    row_prefix, key_hash, read_only, expires_at, revoked_at = rows[-1]
    assert (row_prefix, read_only, revoked_at) == (prefix, 1, None)
    assert key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert expires_at is not None
    assert plaintext.split("_", 2)[2] not in " ".join(map(str, rows[-1]))

    listed = run_cli(env, "token", "list", "ops")
    assert listed.returncode == 0 and prefix in listed.stdout and plaintext not in listed.stdout

    revoked = run_cli(env, "token", "revoke", plaintext)  # the whole token works too
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"Revoked {prefix} of ops."
    assert token_rows(data_dir)[-1][4] is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("token", "create", "ghost"), "No user named 'ghost'."),
        (("token", "revoke", "deadbeef"), "No token with prefix 'deadbeef'."),
        (("token", "create", "ops", "--expires-in", "0"), "Must be a positive number of days."),
        (("token", "list", "ghost"), "No user named 'ghost'."),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_1(installation, args, message):
    data_dir, env = installation
    before = token_rows(data_dir)
    done = run_cli(env, *args)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"CommandError: {message}"]
    assert token_rows(data_dir) == before
