"""The audit trail: append-only, written by services, readable by administrators only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.test import Client

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.selectors import audit_list
from kundenwert.audit.services import audit_record, service
from kundenwert.contacts.services import organization_create
from kundenwert.core.context import acting_through
from kundenwert.core.errors import PermissionDenied, ValidationError
from kundenwert.identity.models import User
from tests.core.state import last_event_id, one_event

Verb = AuditEvent.Verb


def test_events_cannot_be_changed_or_deleted_through_the_orm(people):
    org = organization_create(actor=people["anna"], data={"name": "Nord GmbH"})
    event = AuditEvent.objects.get(target_type="organization", target_id=str(org.pk))
    snapshot = AuditEvent.objects.values().get(pk=event.pk)
    event.verb = Verb.DELETE
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(verb=Verb.DELETE)
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    with pytest.raises(TypeError), transaction.atomic():  # a savepoint: bulk_update is atomic
        AuditEvent.objects.bulk_update([event], ["verb"])
    assert AuditEvent.objects.values().get(pk=event.pk) == snapshot


def test_audit_record_takes_source_and_ip_from_the_context(people):
    with acting_through("task", ip="192.0.2.7"), one_event(Verb.UPDATE) as watch:
        audit_record(
            actor=people["anna"],
            verb=Verb.UPDATE,
            target=people["anna"],
            changes={"x": [1, 2]},
            at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    (event,) = watch.events
    assert (event.source, event.ip, event.actor_repr) == ("task", "192.0.2.7", "anna")
    assert (event.target_type, event.target_id) == ("user", str(people["anna"].pk))
    assert event.at == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@service
def _write_then_deny(*, actor, fail_with):
    audit_record(actor=actor, verb=Verb.UPDATE, target_type="thing", target_id=1)
    raise fail_with


def test_service_keeps_only_the_denial_after_rolling_back(people):
    mark = last_event_id()
    denial = PermissionDenied(action="thing.edit", target_type="thing", target_id="1")
    with pytest.raises(PermissionDenied):
        _write_then_deny(actor=people["vera"], fail_with=denial)
    (event,) = AuditEvent.objects.filter(id__gt=mark)
    assert (event.verb, event.actor, event.target_type, event.target_id) == (
        Verb.PERMISSION_DENIED,
        people["vera"],
        "thing",
        "1",
    )
    assert event.changes == {"action": "thing.edit"}


def test_service_rolls_back_everything_on_other_errors(people):
    mark = last_event_id()
    with pytest.raises(ValidationError):
        _write_then_deny(actor=people["anna"], fail_with=ValidationError({"x": ["bad"]}))
    assert not AuditEvent.objects.filter(id__gt=mark).exists()


def test_service_inside_an_outer_transaction_still_records_the_denial(people):
    mark = last_event_id()
    with transaction.atomic(), pytest.raises(PermissionDenied):
        organization_create(actor=people["vera"], data={"name": "x"})
    assert [e.verb for e in AuditEvent.objects.filter(id__gt=mark)] == [Verb.PERMISSION_DENIED]


def test_audit_list_is_for_administrators_only(people):
    org = organization_create(actor=people["anna"], data={"name": "Nord GmbH"})
    for who in ("anna", "mia", "vera", "sam", "max"):
        with pytest.raises(PermissionDenied):
            audit_list(viewer=people[who], params={})
    page = audit_list(
        viewer=people["admin"], params={"target_type": "organization", "target_id": str(org.pk)}
    )
    assert [(e.verb, e.actor) for e in page.rows] == [(Verb.CREATE, people["anna"])]
    assert audit_list(viewer=people["admin"], params={"actor": str(people["ben"].pk)}).rows == []
    with pytest.raises(ValidationError):
        audit_list(viewer=people["admin"], params={"who": "anna"})


def test_sign_in_failed_sign_in_and_sign_out_are_audited(people):
    client = Client()
    with one_event(Verb.LOGIN) as watch:
        assert client.login(username="anna", password="demo")
    assert watch.events[0].actor == people["anna"]
    with one_event(Verb.LOGOUT):
        client.logout()
    with one_event(Verb.LOGIN_FAILED) as watch:
        assert authenticate(username="anna", password="wrong") is None
    (event,) = watch.events
    assert (event.actor, event.target_repr) == (None, "anna")
    assert "wrong" not in str(event.changes)


def test_deleting_a_user_keeps_their_events_with_the_name(people):
    temp = User.objects.create_user(username="temp", password="x")
    with one_event(Verb.UPDATE) as watch:
        audit_record(actor=temp, verb=Verb.UPDATE, target_type="thing", target_id=1)
    temp.delete()
    event = AuditEvent.objects.get(pk=watch.events[0].pk)
    assert (event.actor, event.actor_repr) == (None, "temp")
