"""Password reset by e-mail, delivered through a real SMTP server on loopback."""

from __future__ import annotations

import os
import re
import socket
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kundenwert.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

if os.environ.get("CI") == "true":
    from aiosmtpd.controller import Controller
else:
    Controller = pytest.importorskip(
        "aiosmtpd.controller", reason="aiosmtpd is not installed (pip install aiosmtpd)"
    ).Controller

LINK = re.compile(r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


class Inbox:
    """Collect every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this hook by name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """Run an SMTP server on 127.0.0.1 and point Django's SMTP backend at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def _without_csrf(content: bytes) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", content.decode())


def _body(message: Message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def test_reset_by_email_sets_a_new_password(world, smtp):
    anna = world.people["anna"]
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": "anna@example.com"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/accounts/password/reset/done/"
    assert "Prüfen Sie Ihr E-Mail-Postfach" in response.content.decode()

    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["anna@example.com"]
    assert message["To"] == "anna@example.com"
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "Passwort für testserver zurücksetzen"
    body = _body(message)
    assert "Hallo anna," in body
    match = LINK.search(body)
    assert match, body

    # The e-mailed link stores the token in the session and redirects to the set-password URL.
    response = client.get(match.group(1))
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert set_password_url.endswith("/set-password/")
    response = client.get(set_password_url)
    assert response.status_code == 200 and response.context["validlink"] is True
    new = "Kundenwert-Neu-2026!"
    response = client.post(set_password_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/complete/"

    event = AuditEvent.objects.get(verb=AuditEvent.Verb.UPDATE, target_type="user")
    assert (event.actor_id, event.target_id) == (anna.pk, str(anna.pk))
    assert event.changes == {"password": ["…", "changed"]}
    anna.refresh_from_db()
    assert anna.check_password(new) and not anna.check_password("demo")
    assert Client().login(username="anna", password=new) is True
    assert Client().login(username="anna", password="demo") is False
    # The link is single-use: the token no longer matches the changed password.
    response = Client().get(match.group(1), follow=True)
    assert response.context["validlink"] is False


def test_unknown_address_shows_the_same_page_and_sends_nothing(world, smtp):
    known = Client().post("/accounts/password/reset/", {"email": "anna@example.com"}, follow=True)
    unknown = Client().post(
        "/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True
    )
    done = [("/accounts/password/reset/done/", 302)]
    assert unknown.redirect_chain == known.redirect_chain == done
    # Identical pages apart from the per-session CSRF token.
    assert _without_csrf(unknown.content) == _without_csrf(known.content)
    assert [rcpt for rcpt, _ in smtp.messages] == [["anna@example.com"]]


def test_invalid_token_shows_invalid_link_and_changes_nothing(world, smtp):
    anna = world.people["anna"]
    before = get_user_model().objects.get(pk=anna.pk).password
    response = Client().get("/accounts/password/reset/MQ/abc-invalidtoken/", follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "Dieser Link ist ungültig" in response.content.decode()
    response = Client().post(
        "/accounts/password/reset/MQ/abc-invalidtoken/",
        {"new_password1": "Xy-123456789!", "new_password2": "Xy-123456789!"},
    )
    assert response.context["validlink"] is False
    assert get_user_model().objects.get(pk=anna.pk).password == before
    assert AuditEvent.objects.filter(target_type="user", verb=AuditEvent.Verb.UPDATE).count() == 0
    assert smtp.messages == []
