"""Service tests for organisations: create, update, archive, restore, delete."""

from __future__ import annotations

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization
from kundenwert.contacts.services import (
    affiliation_create,
    organization_archive,
    organization_create,
    organization_delete,
    organization_restore,
    organization_update,
)
from kundenwert.core.context import acting_through
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.org.models import Team
from tests.contacts.factories import org, person
from tests.core.state import nothing_changed, one_event

Verb = AuditEvent.Verb


# --- create -----------------------------------------------------------------------------------


def test_create_normalises_stores_indexes_tags_and_audits(people):
    anna = people["anna"]
    with acting_through("api"), one_event(Verb.CREATE) as watch:
        created = organization_create(
            actor=anna,
            data={
                "name": "  Müller GmbH ",
                "legal_form": "GmbH",
                "vat_id": "de 136.695-976",
                "website": "https://www.Acme.de/kontakt",
                "emails": ["info@ACME.de", "info@acme.DE", "sales@acme.de"],
                "phones": ["030 1234567", "+49 30 1234567"],
                "billing_address": {"street": " Hauptstr. 1 ", "city": "Berlin", "country": "de"},
                "status": "customer",
                "tags": ["messe", "b2b", "messe", "  "],
            },
        )
    stored = Organization.objects.get(pk=created.pk)
    assert stored.name == "Müller GmbH"
    assert stored.vat_id == "DE136695976"
    assert stored.domain == "acme.de"
    assert stored.emails == ["info@acme.de", "sales@acme.de"]
    assert stored.phones == ["+49301234567"]
    assert stored.billing_address == {
        "street": "Hauptstr. 1", "postal_code": "", "city": "Berlin", "region": "", "country": "DE",
    }  # fmt: skip
    assert stored.status == "customer"
    assert stored.owner == anna
    assert stored.team == Team.objects.get(name="Nord")
    assert stored.version == 1
    assert stored.archived_at is None
    assert sorted(stored.tags.values_list("name", flat=True)) == ["b2b", "messe"]
    assert stored.search_text == (
        "müller gmbh gmbh de136695976 acme.de info@acme.de sales@acme.de +49301234567"
    )
    (event,) = watch.events
    assert event.actor == anna
    assert event.source == "api"
    assert (event.target_type, event.target_id) == ("organization", str(stored.pk))
    assert event.changes["name"] == [None, "Müller GmbH"]
    assert event.changes["vat_id"] == [None, "DE136695976"]
    assert event.changes["tags"] == [None, ["b2b", "messe"]]
    assert event.changes["owner"] == [None, anna.pk]


@pytest.mark.parametrize(
    ("who", "team"),
    [("anna", "Nord"), ("mia", "Nord"), ("sam", "Süd"), ("max", None), ("admin", None)],
)
def test_roles_that_may_edit_own_create_with_their_single_team(people, who, team):
    created = organization_create(actor=people[who], data={"name": "Neu AG"})
    assert created.owner == people[who]
    assert (created.team.name if created.team else None) == team


def test_read_only_user_cannot_create(people):
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        organization_create(actor=people["vera"], data={"name": "Nope GmbH"})
    (event,) = watch.events
    assert event.actor == people["vera"]
    assert event.changes == {"action": "organization.edit"}


def test_sales_cannot_create_for_a_teammate_but_manager_can(people):
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        organization_create(
            actor=people["anna"], data={"name": "Für Carl", "owner_id": people["carl"].pk}
        )
    created = organization_create(
        actor=people["mia"], data={"name": "Für Carl", "owner_id": people["carl"].pk}
    )
    assert created.owner == people["carl"]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": "X", "vat_id": "DE136695977"}, {"vat_id"}),
        ({"name": "X", "emails": ["not-an-email"]}, {"emails"}),
        ({"name": "X", "phones": ["12"]}, {"phones"}),
        ({"name": "X", "colour": "red"}, {"colour"}),
        ({"name": "X", "owner_id": 999_999}, {"owner_id"}),
        ({"name": "X", "owner_id": None}, {"owner_id"}),
        ({"name": "X", "team_id": 999_999}, {"team_id"}),
        ({"name": "X", "parent_id": 999_999}, {"parent_id"}),
        ({"name": "X", "status": "lead"}, {"status"}),
        ({"name": "X", "billing_address": {"planet": "Mars"}}, {"billing_address"}),
        ({"name": "X", "shipping_address": {"country": "Deutschland"}}, {"shipping_address"}),
        ({"name": "   "}, {"name"}),
        (
            {"name": "X", "vat_id": "nope", "emails": ["@"], "phones": ["abc"]},
            {"vat_id", "emails", "phones"},
        ),
    ],
)
def test_create_rejects_bad_input_with_field_messages_and_writes_nothing(people, data, fields):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_create(actor=people["anna"], data=data)
    assert set(info.value.message_dict) == fields
    assert all(info.value.message_dict[f] for f in fields)


def test_create_with_a_parent_the_actor_cannot_see_is_a_validation_error(people):
    hidden = org(people["ben"], "Süd Holding")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_create(actor=people["anna"], data={"name": "Tochter", "parent_id": hidden.pk})
    assert set(info.value.message_dict) == {"parent_id"}


# --- update -----------------------------------------------------------------------------------


def test_update_changes_fields_bumps_version_and_audits_the_diff(people):
    anna = people["anna"]
    target = org(anna, "Alt GmbH", tags=["a"])
    with one_event(Verb.UPDATE) as watch:
        updated = organization_update(
            actor=anna,
            organization_id=target.pk,
            data={"name": "Neu GmbH", "phones": ["0171 2345678"], "tags": ["b"]},
            expected_version=1,
        )
    stored = Organization.objects.get(pk=target.pk)
    assert updated.version == stored.version == 2
    assert stored.name == "Neu GmbH"
    assert stored.search_text == "neu gmbh +491712345678"
    assert list(stored.tags.values_list("name", flat=True)) == ["b"]
    (event,) = watch.events
    assert event.actor == anna
    assert event.changes == {
        "name": ["Alt GmbH", "Neu GmbH"],
        "phones": [[], ["+491712345678"]],
        "tags": [["a"], ["b"]],
    }


def test_noop_update_keeps_version_and_writes_no_event(people):
    target = org(people["anna"], "Gleich GmbH", tags=["x"], emails=["a@b.de"])
    with nothing_changed():
        same = organization_update(
            actor=people["anna"],
            organization_id=target.pk,
            data={"name": " Gleich GmbH", "emails": ["a@B.DE"], "tags": ["x"]},
        )
    assert same.version == 1


@pytest.mark.parametrize("who", ["anna", "mia", "admin"])
def test_owner_manager_of_the_team_and_admin_may_update(people, who):
    target = org(people["anna"], "Nord GmbH")
    organization_update(actor=people[who], organization_id=target.pk, data={"industry": "Bau"})
    assert Organization.objects.get(pk=target.pk).industry == "Bau"


@pytest.mark.parametrize("who", ["carl", "sam", "max", "vera"])
def test_visible_but_not_editable_is_denied_and_audited(people, who):
    target = org(people["anna"], "Nord GmbH")
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        organization_update(actor=people[who], organization_id=target.pk, data={"name": "Hack"})
    (event,) = watch.events
    assert event.actor == people[who]
    assert (event.target_type, event.target_id) == ("organization", str(target.pk))
    assert event.changes == {"action": "organization.edit"}


def test_record_of_another_team_is_not_found_for_sales(people):
    target = org(people["anna"], "Nord GmbH")
    with nothing_changed(), pytest.raises(NotFound):
        organization_update(actor=people["ben"], organization_id=target.pk, data={"name": "Hack"})
    with nothing_changed(), pytest.raises(NotFound):
        organization_archive(actor=people["ben"], organization_id=target.pk)
    with nothing_changed(), pytest.raises(NotFound):
        organization_delete(actor=people["ben"], organization_id=target.pk)


def test_sales_cannot_hand_a_record_to_someone_out_of_reach(people):
    target = org(people["anna"], "Nord GmbH")
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        organization_update(
            actor=people["anna"], organization_id=target.pk, data={"owner_id": people["ben"].pk}
        )


def test_manager_may_move_a_record_within_the_team(people):
    target = org(people["anna"], "Nord GmbH")
    organization_update(
        actor=people["mia"], organization_id=target.pk, data={"owner_id": people["carl"].pk}
    )
    assert Organization.objects.get(pk=target.pk).owner == people["carl"]


def test_stale_version_is_refused(people):
    target = org(people["anna"], "Nord GmbH")
    organization_update(actor=people["anna"], organization_id=target.pk, data={"name": "v2"})
    with nothing_changed(), pytest.raises(PreconditionFailed):
        organization_update(
            actor=people["anna"], organization_id=target.pk, data={"name": "v3"}, expected_version=1
        )


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"vat_id": "DE000000000"}, {"vat_id"}),
        ({"emails": ["a@"]}, {"emails"}),
        ({"phones": ["+49 1"]}, {"phones"}),
        ({"search_text": "x"}, {"search_text"}),
        ({"owner_id": 424242}, {"owner_id"}),
        ({"name": ""}, {"name"}),
    ],
)
def test_update_rejects_bad_input_and_changes_nothing(people, data, fields):
    target = org(people["anna"], "Nord GmbH")
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_update(actor=people["anna"], organization_id=target.pk, data=data)
    assert set(info.value.message_dict) == fields


def test_parent_cycles_are_refused(people):
    anna = people["anna"]
    top = org(anna, "Konzern")
    mid = org(anna, "Holding", parent=top)
    low = org(anna, "Tochter", parent=mid)
    for new_parent in (low, mid, top):
        with nothing_changed(), pytest.raises(ValidationError) as info:
            organization_update(
                actor=anna, organization_id=top.pk, data={"parent_id": new_parent.pk}
            )
        assert set(info.value.message_dict) == {"parent_id"}
    organization_update(actor=anna, organization_id=low.pk, data={"parent_id": top.pk})
    assert Organization.objects.get(pk=low.pk).parent == top


# --- archive, restore, delete ------------------------------------------------------------------


def test_archive_refuses_updates_until_restored(people):
    anna = people["anna"]
    target = org(anna, "Nord GmbH")
    with one_event(Verb.ARCHIVE):
        organization_archive(actor=anna, organization_id=target.pk)
    archived = Organization.objects.get(pk=target.pk)
    assert archived.archived_at is not None
    assert archived.version == 2
    with nothing_changed():  # archiving twice is harmless and silent
        organization_archive(actor=anna, organization_id=target.pk)
    with nothing_changed(), pytest.raises(ConflictError) as info:
        organization_update(actor=anna, organization_id=target.pk, data={"name": "Neu"})
    assert info.value.code == "archived"
    with one_event(Verb.RESTORE) as watch:
        organization_restore(actor=anna, organization_id=target.pk)
    assert watch.events[0].changes["archived_at"][1] is None
    restored = Organization.objects.get(pk=target.pk)
    assert (restored.archived_at, restored.version) == (None, 3)
    organization_update(actor=anna, organization_id=target.pk, data={"name": "Neu"})
    assert Organization.objects.get(pk=target.pk).name == "Neu"


@pytest.mark.parametrize("who", ["carl", "sam", "max", "vera"])
def test_archive_and_restore_need_delete_permission(people, who):
    target = org(people["anna"], "Nord GmbH")
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        organization_archive(actor=people[who], organization_id=target.pk)
    organization_archive(actor=people["anna"], organization_id=target.pk)
    with nothing_changed(denied=1), pytest.raises(PermissionDenied):
        organization_restore(actor=people[who], organization_id=target.pk)


@pytest.mark.parametrize("who", ["anna", "mia", "carl", "sam", "max", "vera"])
def test_only_administrators_delete_for_good(people, who):
    target = org(people["anna"], "Nord GmbH")
    with nothing_changed(denied=1) as watch, pytest.raises(PermissionDenied):
        organization_delete(actor=people[who], organization_id=target.pk)
    assert watch.events[0].changes == {"action": "organization.delete permanently"}


def test_administrator_deletes_with_affiliations_and_detaches_subsidiaries(people):
    admin, anna = people["admin"], people["anna"]
    parent = org(anna, "Konzern")
    child = org(anna, "Tochter", parent=parent)
    someone = person(anna, "Meier")
    affiliation_create(actor=anna, person_id=someone.pk, organization_id=parent.pk)
    with one_event(Verb.DELETE) as watch:
        organization_delete(actor=admin, organization_id=parent.pk)
    assert not Organization.objects.filter(pk=parent.pk).exists()
    assert Affiliation.objects.count() == 0
    assert Organization.objects.get(pk=child.pk).parent_id is None
    (event,) = watch.events
    assert (event.actor, event.target_type, event.target_id) == (
        admin,
        "organization",
        str(parent.pk),
    )
    assert event.target_repr == "Konzern"
    assert event.changes["name"] == ["Konzern", None]


def test_a_parent_moved_out_of_sight_does_not_block_other_changes(people):
    anna = people["anna"]
    top = org(anna, "Konzern")
    low = org(anna, "Tochter", parent=top)
    organization_update(
        actor=people["admin"],
        organization_id=top.pk,
        data={"owner_id": people["ben"].pk, "team_id": None},
    )
    organization_update(actor=anna, organization_id=low.pk, data={"industry": "Bau"})
    assert Organization.objects.get(pk=low.pk).industry == "Bau"
    organization_update(actor=anna, organization_id=low.pk, data={"parent_id": None})
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_update(actor=anna, organization_id=low.pk, data={"parent_id": top.pk})
    assert set(info.value.message_dict) == {"parent_id"}


@pytest.mark.parametrize("tags", ["abc", 7])
def test_tags_must_be_a_list(people, tags):
    with nothing_changed(), pytest.raises(ValidationError) as info:
        organization_create(actor=people["anna"], data={"name": "X", "tags": tags})
    assert set(info.value.message_dict) == {"tags"}


@pytest.mark.parametrize("who", ["anna", "sam", "max", "mia", "admin"])
def test_every_editing_role_edits_and_archives_its_own_records(people, who):
    mine = org(people[who], "Eigen GmbH")
    organization_update(actor=people[who], organization_id=mine.pk, data={"industry": "IT"})
    organization_archive(actor=people[who], organization_id=mine.pk)
    stored = Organization.objects.get(pk=mine.pk)
    assert (stored.industry, stored.version, stored.archived_at is not None) == ("IT", 3, True)
