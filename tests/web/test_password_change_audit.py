"""Changing one's password in the app is recorded in the audit trail (without the hash)."""

from __future__ import annotations

import pytest
from django.test import Client

from kundenwert.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_password_change_is_audited_without_the_hash(people):
    anna = people["anna"]
    client = Client()
    client.force_login(anna)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "demo",
            "new_password1": "Kundenwert-2026!",
            "new_password2": "Kundenwert-2026!",
        },
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.check_password("Kundenwert-2026!")
    (event,) = AuditEvent.objects.filter(target_type="user", verb=AuditEvent.Verb.UPDATE)
    assert event.actor == anna
    assert event.target_id == str(anna.pk)
    assert "password" in event.changes
    assert anna.password not in str(event.changes)


def test_a_refused_password_change_records_nothing(people):
    client = Client()
    client.force_login(people["anna"])
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(target_type="user", verb=AuditEvent.Verb.UPDATE).exists()
