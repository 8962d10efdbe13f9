"""Account security and personal settings: sign-in throttling, language and time zone."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client

from kundenwert.audit.models import AuditEvent
from kundenwert.core.errors import PermissionDenied, ValidationError
from kundenwert.identity.models import User
from kundenwert.identity.services import user_update_settings
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db

THROTTLED = "Too many failed sign-in attempts. Please wait a few minutes and try again."
WRONG = "The user name or password is wrong."


def sign_in(username: str, password: str, ip: str = "127.0.0.1") -> tuple[Client, str]:
    """Post the sign-in form from `ip`; return the client and the page's alert text."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode())
    return client, (alert.group(1) if alert else "")


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def failures() -> int:
    return AuditEvent.objects.filter(verb="login_failed").count()


def test_five_failures_lock_the_account_even_for_the_right_password(people):
    for _ in range(5):
        client, alert = sign_in("anna", "wrong")
        assert alert == WRONG
        assert not signed_in(client)
    assert failures() == 5

    client, alert = sign_in("anna", "demo")

    assert alert == THROTTLED
    assert not signed_in(client)
    # The password was not even checked: no new failure, no sign-in recorded.
    assert failures() == 5
    assert AuditEvent.objects.filter(verb="login").count() == 0


def test_another_account_is_not_affected(people):
    for _ in range(5):
        sign_in("anna", "wrong")
    assert sign_in("anna", "demo")[1] == THROTTLED

    client, alert = sign_in("ben", "demo")

    assert alert == ""
    assert signed_in(client)
    assert client.session["_auth_user_id"] == str(people["ben"].pk)


def test_an_unknown_user_name_gets_the_identical_answer(people):
    for username in ("anna", "nobody"):
        for _ in range(5):
            assert sign_in(username, "wrong")[1] == WRONG
    known = sign_in("anna", "demo")
    unknown = sign_in("nobody", "demo")
    assert known[1] == unknown[1] == THROTTLED
    assert not signed_in(known[0]) and not signed_in(unknown[0])


def test_twenty_failures_from_one_address_lock_that_address(people):
    for n in range(20):
        assert sign_in(f"guess{n}", "wrong", ip="10.0.0.9")[1] == WRONG

    refused, alert = sign_in("anna", "demo", ip="10.0.0.9")
    elsewhere, other_alert = sign_in("anna", "demo", ip="10.0.0.10")

    assert alert == THROTTLED
    assert not signed_in(refused)
    assert other_alert == ""
    assert signed_in(elsewhere)


def test_the_lock_ends_when_the_failures_age_out_of_the_window(people, settings):
    for _ in range(5):
        sign_in("anna", "wrong")
    assert sign_in("anna", "demo")[1] == THROTTLED

    settings.LOGIN_THROTTLE_WINDOW = 1
    time.sleep(1.2)
    client, alert = sign_in("anna", "demo")

    assert alert == ""
    assert signed_in(client)


def test_settings_page_saves_language_and_time_zone(people):
    anna = people["anna"]
    before = (anna.language, anna.time_zone)
    assert before == ("de", "Europe/Berlin")
    client = client_for(anna)
    page = client.get("/accounts/settings/")
    assert page.status_code == 200
    assert 'name="time_zone"' in page.content.decode()

    response = client.post(
        "/accounts/settings/", {"language": "en", "time_zone": "America/New_York"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/settings/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    anna.refresh_from_db()
    assert (anna.language, anna.time_zone) == ("en", "America/New_York")
    events = AuditEvent.objects.filter(verb="update", target_type="user")
    assert events.count() == 1
    event = events.get()
    assert (event.actor_id, event.target_id) == (anna.pk, str(anna.pk))
    assert event.changes == {
        "language": ["de", "en"],
        "time_zone": ["Europe/Berlin", "America/New_York"],
    }
    followed = client.get("/accounts/settings/")
    assert 'lang="en"' in followed.content.decode()
    assert "Your settings have been saved." in followed.content.decode()
    assert '<option value="America/New_York" selected>' in followed.content.decode()


def test_saving_unchanged_settings_writes_no_audit_event(people):
    client = client_for(people["anna"])
    response = client.post("/accounts/settings/", {"language": "de", "time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="update").count() == 0


def test_an_unknown_time_zone_is_a_field_error_and_changes_nothing(people):
    anna = people["anna"]
    client = client_for(anna)

    response = client.post("/accounts/settings/", {"language": "en", "time_zone": "Mars/Olympus"})

    assert response.status_code == 400
    assert 'id="id_time_zone_errors"' in response.content.decode()
    anna.refresh_from_db()
    assert (anna.language, anna.time_zone) == ("de", "Europe/Berlin")
    assert AuditEvent.objects.filter(verb="update").count() == 0


def test_the_service_validates_language_and_time_zone(people):
    anna = people["anna"]
    with pytest.raises(ValidationError) as exc:
        user_update_settings(actor=anna, user_id=anna.pk, language="fr", time_zone="Mars/Olympus")
    assert set(exc.value.message_dict) == {"language", "time_zone"}
    anna.refresh_from_db()
    assert (anna.language, anna.time_zone) == ("de", "Europe/Berlin")


def test_nobody_may_change_another_users_settings(people):
    anna, admin = people["anna"], people["admin"]
    for actor in (people["ben"], admin):
        with pytest.raises(PermissionDenied):
            user_update_settings(
                actor=actor, user_id=anna.pk, language="en", time_zone="America/New_York"
            )
    anna.refresh_from_db()
    assert (anna.language, anna.time_zone) == ("de", "Europe/Berlin")
    assert AuditEvent.objects.filter(verb="update").count() == 0
    assert User.objects.filter(language="en").count() == 0


def test_the_header_switch_remembers_the_language_for_a_signed_in_user(people):
    anna = people["anna"]
    client = client_for(anna)

    response = client.post("/accounts/language/", {"language": "en", "next": "/organizations/"})

    assert response.status_code == 302
    assert response["Location"] == "/organizations/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    anna.refresh_from_db()
    assert (anna.language, anna.time_zone) == ("en", "Europe/Berlin")
    assert AuditEvent.objects.get(verb="update").changes == {"language": ["de", "en"]}
    # A fresh browser gets English after signing in: the setting, not the cookie.
    fresh = Client(HTTP_ACCEPT_LANGUAGE="de")
    fresh.post("/accounts/login/", {"username": "anna", "password": "demo"})
    assert 'lang="en"' in fresh.get("/").content.decode()


def test_the_header_switch_works_signed_out(people):
    client = Client()
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert 'action="/accounts/language/"' in page.content.decode()

    response = client.post("/accounts/language/", {"language": "en", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert 'lang="en"' in client.get("/accounts/login/").content.decode()
    assert AuditEvent.objects.filter(verb="update").count() == 0


def test_a_successful_sign_in_restarts_the_count(people):
    for _ in range(4):
        sign_in("anna", "wrong")
    client, _alert = sign_in("anna", "demo")
    assert signed_in(client)
    sign_in("anna", "wrong")  # one more typo after signing in: 1 since the success, not 5
    client, alert = sign_in("anna", "demo")
    assert signed_in(client), alert
