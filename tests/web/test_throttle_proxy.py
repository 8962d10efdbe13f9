"""Sign-in throttling and the audit trail behind a trusted reverse proxy count the real client."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kundenwert.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

THROTTLED = "Too many failed sign-in attempts. Please wait a few minutes and try again."
WRONG = "The user name or password is wrong."
PROXY = "10.0.0.1"
ALICE_IP = "203.0.113.7"  # a client behind the proxy
BOB_IP = "2001:db8::42"  # another one, over IPv6


@pytest.fixture(autouse=True)
def behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_FAILURES_PER_IP = 3
    settings.LOGIN_FAILURES_PER_USER = 100  # only the per-IP limit is under test here


def sign_in(username: str, password: str, *, remote: str, forwarded: str | None = None):
    """Post the sign-in form as it arrives from `remote`; return the client and the alert."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        **headers,
    )
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode())
    return client, (alert.group(1) if alert else "")


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def failures_from(ip: str) -> int:
    return AuditEvent.objects.filter(verb="login_failed", ip=ip).count()


def test_the_limit_counts_the_client_not_the_proxy(people):
    for n in range(3):
        assert sign_in(f"guess{n}", "wrong", remote=PROXY, forwarded=ALICE_IP)[1] == WRONG

    refused, alert = sign_in("anna", "demo", remote=PROXY, forwarded=ALICE_IP)
    other, other_alert = sign_in("anna", "demo", remote=PROXY, forwarded=BOB_IP)

    assert alert == THROTTLED
    assert not signed_in(refused)
    # Bob comes through the same proxy, yet Alice's failures do not lock him out.
    assert other_alert == ""
    assert signed_in(other)
    # The audit trail names the clients, never the proxy.
    assert failures_from(ALICE_IP) == 3
    assert AuditEvent.objects.filter(verb="login_failed").count() == 3
    login = AuditEvent.objects.get(verb="login")
    assert login.ip == BOB_IP and login.actor == people["anna"]
    assert AuditEvent.objects.filter(ip=PROXY).count() == 0


def test_a_chain_of_proxies_ends_at_the_client(people, settings):
    settings.TRUSTED_PROXIES = [PROXY, "192.168.0.0/16"]
    chain = f"198.51.100.1, {ALICE_IP}, 192.168.7.7"  # the leftmost entry is Alice's own claim
    for n in range(3):
        sign_in(f"guess{n}", "wrong", remote=PROXY, forwarded=chain)

    assert sign_in("anna", "demo", remote=PROXY, forwarded=ALICE_IP)[1] == THROTTLED
    assert failures_from(ALICE_IP) == 3
    assert failures_from("198.51.100.1") == 0


def test_changing_the_claimed_address_does_not_escape_the_limit(people):
    # Alice puts a new made-up address in front each time; the proxy appends her real one.
    for n in range(3):
        sign_in(f"guess{n}", "wrong", remote=PROXY, forwarded=f"198.51.100.{n}, {ALICE_IP}")

    client, alert = sign_in("anna", "demo", remote=PROXY, forwarded=f"198.51.100.9, {ALICE_IP}")

    assert alert == THROTTLED
    assert not signed_in(client)
    assert failures_from(ALICE_IP) == 3
    assert AuditEvent.objects.filter(verb="login").count() == 0


def test_a_client_talking_directly_cannot_pick_its_address(people):
    # Not the trusted proxy: X-Forwarded-For is ignored, whatever it says.
    direct = "192.0.2.50"
    for n in range(3):
        sign_in(f"guess{n}", "wrong", remote=direct, forwarded=f"198.51.100.{n}")

    client, alert = sign_in("anna", "demo", remote=direct, forwarded=BOB_IP)

    assert alert == THROTTLED
    assert not signed_in(client)
    assert failures_from(direct) == 3
    assert AuditEvent.objects.filter(verb="login_failed").exclude(ip=direct).count() == 0
    assert AuditEvent.objects.filter(verb="login").count() == 0


def test_without_trusted_proxies_everybody_behind_the_proxy_shares_one_count(people, settings):
    # The behaviour TRUSTED_PROXIES exists to avoid, shown so a regression in the default
    # (believing the header from anybody) is caught too.
    settings.TRUSTED_PROXIES = []
    for n in range(3):
        sign_in(f"guess{n}", "wrong", remote=PROXY, forwarded=ALICE_IP)

    client, alert = sign_in("anna", "demo", remote=PROXY, forwarded=BOB_IP)

    assert alert == THROTTLED
    assert not signed_in(client)
    assert failures_from(PROXY) == 3
