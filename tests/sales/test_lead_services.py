"""Service tests for leads: create, the public form, update, assign, qualify, archive, list."""

from __future__ import annotations

import datetime as dt

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.org.models import Team
from kundenwert.sales.leads import (
    HONEYPOT_FIELD,
    RateLimited,
    lead_archive,
    lead_assign,
    lead_convert,
    lead_disqualify,
    lead_get,
    lead_list,
    lead_may,
    lead_qualify,
    lead_restore,
    lead_submit_public,
    lead_update,
)
from kundenwert.sales.models import LEAD_MESSAGE_MAX, Lead
from tests.core.state import last_event_id, one_event
from tests.sales.lead_factories import PUBLIC_IP, lead, leads_unchanged, public_lead

Verb = AuditEvent.Verb


@pytest.fixture
def intake(settings, people):
    """Public-form leads go to team Nord (anna, carl, mia)."""
    settings.LEAD_INTAKE_TEAM = "Nord"
    return Team.objects.get(name="Nord")


# --- create --------------------------------------------------------------------------------------


def test_create_normalises_contact_data_and_defaults_to_the_actor(people):
    anna = people["anna"]
    with one_event(Verb.CREATE) as watch:
        created = lead(
            anna,
            "  Petra Paulsen ",
            email="Petra@NORDLICHT.example",
            phone="030 1234567",
            company="Nordlicht GmbH",
            source_channel="event",
            source_campaign="Messe 2027",
            message="Wants 20 licences.",
        )
    stored = Lead.objects.get(pk=created.pk)
    assert (stored.name, stored.email, stored.phone) == (
        "Petra Paulsen",
        "Petra@nordlicht.example",
        "+49301234567",
    )
    assert (stored.owner, stored.team.name, stored.status) == (anna, "Nord", "new")
    assert stored.source_channel == "event" and stored.submitted_ip is None
    assert "nordlicht gmbh" in stored.search_text and "+49301234567" in stored.search_text
    event = watch.events[0]
    assert (event.actor, event.target_type, event.target_id) == (anna, "lead", str(stored.pk))
    assert event.changes["email"] == [None, "Petra@nordlicht.example"]


def test_create_refuses_bad_values_field_by_field_and_stores_nothing(people):
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead(
            people["anna"],
            "",
            email="not-an-address",
            phone="12",
            source_channel="carrier pigeon",
            language="fr",
            message="x" * (LEAD_MESSAGE_MAX + 1),
        )
    assert set(caught.value.message_dict) == {
        "name",
        "email",
        "phone",
        "source_channel",
        "language",
        "message",
    }
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead(people["anna"], "Petra", status="converted", owner_id=999_999)
    assert caught.value.message_dict == {"status": ["Unknown field."]}


def test_a_read_only_user_may_not_create_and_the_denial_is_recorded(people):
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead(people["vera"], "Petra")
    # A salesperson cannot put a lead into a pool they could not see either.
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead(people["anna"], "Petra", owner_id=None, team_id=None)


# --- the public form -----------------------------------------------------------------------------


def test_public_submission_lands_in_the_intake_pool_with_an_anonymous_web_audit(people, intake):
    mark = last_event_id()
    stored = public_lead(
        "Petra Paulsen",
        "petra@nordlicht.example",
        company="Nordlicht GmbH",
        phone="+49 30 1234567",
        message="Please call me.",
        campaign="spring",
        ip="198.51.100.4",
        language="en",
    )
    stored.refresh_from_db()
    assert (stored.owner_id, stored.team, stored.source_channel) == (None, intake, "web")
    assert (stored.source_campaign, stored.language, stored.submitted_ip) == (
        "spring",
        "en",
        "198.51.100.4",
    )
    assert stored.phone == "+49301234567"
    event = AuditEvent.objects.get(id__gt=mark)
    assert (event.verb, event.actor, event.actor_repr, event.source, event.ip) == (
        Verb.CREATE,
        None,
        "",
        "web",
        "198.51.100.4",
    )


def test_the_intake_pool_is_seen_by_its_team_and_by_readers_of_everything(people, intake):
    pooled = public_lead()
    for name in ("anna", "carl", "mia", "max", "vera", "admin"):
        assert lead_get(viewer=people[name], lead_id=pooled.pk) == pooled, name
    for name in ("ben", "sam"):  # another team; a role without lead access
        with pytest.raises(NotFound):
            lead_get(viewer=people[name], lead_id=pooled.pk)
    # The pool is shared work: whoever sees it and may edit own leads may work it.
    assert lead_may(people["anna"], "edit", pooled) and lead_may(people["max"], "edit", pooled)
    assert not lead_may(people["vera"], "edit", pooled)
    assert lead_qualify(actor=people["carl"], lead_id=pooled.pk).status == "qualified"


def test_without_an_intake_team_only_readers_of_everything_see_the_pool(people):
    pooled = public_lead()
    assert pooled.team is None
    assert lead_get(viewer=people["mia"], lead_id=pooled.pk) == pooled
    with pytest.raises(NotFound):
        lead_get(viewer=people["anna"], lead_id=pooled.pk)
    with leads_unchanged(), pytest.raises(NotFound):
        lead_qualify(actor=people["anna"], lead_id=pooled.pk)


def test_a_filled_spam_trap_stores_nothing_and_says_nothing(people):
    mark = last_event_id()
    with leads_unchanged():
        result = lead_submit_public(
            data={"name": "Bot", "email": "bot@spam.example", HONEYPOT_FIELD: "http://spam"},
            ip=PUBLIC_IP,
        )
    assert result is None
    assert last_event_id() == mark


def test_the_rate_limit_counts_stored_leads_per_address_within_the_window(people, settings):
    for n in range(5):
        public_lead(f"Person {n}", f"p{n}@example.com")
    with leads_unchanged(), pytest.raises(RateLimited) as caught:
        public_lead("Person 6", "p6@example.com")
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    public_lead("Somebody else", "else@example.com", ip="198.51.100.9")  # another address
    # Leads older than the window no longer count.
    Lead.objects.filter(submitted_ip=PUBLIC_IP).update(
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    public_lead("Person 6", "p6@example.com")
    settings.LEAD_FORM_MAX_PER_IP = 1
    with pytest.raises(RateLimited):
        public_lead("Person 7", "p7@example.com")


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": "Petra", "email": "nope"}, {"email"}),
        ({"name": "", "email": ""}, {"name", "email"}),
        ({"email": "petra@example.com"}, {"name"}),
        ({"name": "Petra", "email": "p@example.com", "message": "x" * 5001}, {"message"}),
        ({"name": "Petra", "email": "p@example.com", "phone": "call me"}, {"phone"}),
        ({"name": 7, "email": ["p@example.com"]}, {"name", "email"}),
        ({"name": "Pe\x00tra", "email": "p@example.com"}, {"name"}),
        ({"name": "Pe\ud800tra", "email": "p@example.com"}, {"name"}),
        ({"name": "x" * 201, "email": "p@example.com"}, {"name"}),
    ],
)
def test_bad_public_input_is_a_field_error_and_stores_nothing(people, data, fields):
    mark = last_event_id()
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_submit_public(data=data, ip=PUBLIC_IP)
    assert set(caught.value.message_dict) == fields
    assert last_event_id() == mark


def test_markup_in_a_message_is_kept_as_plain_text(people):
    text = '<script>alert("x")</script><b>Hallo</b> & Tschüss'
    stored = public_lead(message=text, company="<i>ACME</i>")
    stored.refresh_from_db()
    assert (stored.message, stored.company) == (text, "<i>ACME</i>")


# --- update, assign, qualify, disqualify -----------------------------------------------------


def test_update_changes_fields_and_refuses_stale_versions_and_strangers(people):
    anna = people["anna"]
    created = lead(anna, "Petra", email="petra@example.com")
    with one_event(Verb.UPDATE) as watch:
        updated = lead_update(
            actor=anna,
            lead_id=created.pk,
            data={"company": "Nordlicht", "phone": "+49 40 1234567", "email": ""},
            expected_version=1,
        )
    assert (updated.company, updated.phone, updated.email, updated.version) == (
        "Nordlicht",
        "+49401234567",
        "",
        2,
    )
    assert watch.events[0].changes["company"] == ["", "Nordlicht"]
    with leads_unchanged(), pytest.raises(PreconditionFailed):
        lead_update(actor=anna, lead_id=created.pk, data={"name": "X"}, expected_version=1)
    with leads_unchanged(), pytest.raises(NotFound):
        lead_update(actor=people["ben"], lead_id=created.pk, data={"name": "X"})
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead_update(actor=people["vera"], lead_id=created.pk, data={"name": "X"})
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_update(actor=anna, lead_id=created.pk, data={"email": "broken@", "name": ""})
    assert set(caught.value.message_dict) == {"email", "name"}
    unchanged = lead_update(actor=anna, lead_id=created.pk, data={"company": "Nordlicht"})
    assert unchanged.version == 2  # nothing changed: no new version, no event


def test_assign_moves_a_pooled_lead_to_an_owner_and_checks_the_new_owner_is_in_reach(
    people, intake
):
    pooled = public_lead()
    mia, carl, anna = people["mia"], people["carl"], people["anna"]
    assigned = lead_assign(actor=mia, lead_id=pooled.pk, owner_id=carl.pk, team_id=intake.pk)
    assert (assigned.owner, assigned.team) == (carl, intake)
    # carl's own lead: anna (own level) may no longer work it.
    assert not lead_may(anna, "edit", assigned)
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead_qualify(actor=anna, lead_id=pooled.pk)
    # anna may not give her own lead away to somebody out of her reach.
    own = lead(anna, "Own lead")
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead_assign(actor=anna, lead_id=own.pk, owner_id=people["ben"].pk, team_id=None)
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_assign(actor=mia, lead_id=own.pk, owner_id=999_999, team_id=None)
    assert set(caught.value.message_dict) == {"owner_id"}
    # Back to the pool.
    returned = lead_assign(actor=mia, lead_id=own.pk, owner_id=None, team_id=intake.pk)
    assert returned.owner is None and lead_may(people["carl"], "edit", returned)


def test_qualify_and_disqualify_with_a_reason(people):
    anna = people["anna"]
    created = lead(anna, "Petra")
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_disqualify(actor=anna, lead_id=created.pk, reason="   ")
    assert set(caught.value.message_dict) == {"reason"}
    out = lead_disqualify(actor=anna, lead_id=created.pk, reason="Student project, no budget")
    assert (out.status, out.disqualify_reason) == ("disqualified", "Student project, no budget")
    with leads_unchanged(), pytest.raises(ConflictError) as conflict:
        lead_convert(actor=anna, lead_id=created.pk)
    assert conflict.value.code == "disqualified"
    back = lead_qualify(actor=anna, lead_id=created.pk)
    assert (back.status, back.disqualify_reason, back.version) == ("qualified", "", 3)
    again = lead_qualify(actor=anna, lead_id=created.pk)
    assert again.version == 3


def test_archive_and_restore(people):
    anna = people["anna"]
    created = lead(anna, "Petra")
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead_archive(actor=people["vera"], lead_id=created.pk)
    with one_event(Verb.ARCHIVE):
        archived = lead_archive(actor=anna, lead_id=created.pk)
    assert archived.archived_at is not None
    with leads_unchanged(), pytest.raises(ConflictError):
        lead_qualify(actor=anna, lead_id=created.pk)
    assert lead_restore(actor=anna, lead_id=created.pk).archived_at is None


# --- the list ----------------------------------------------------------------------------------


def test_list_filters_searches_and_hides_what_the_viewer_may_not_see(people, intake):
    anna, ben = people["anna"], people["ben"]
    own = lead(anna, "Petra Paulsen", company="Nordlicht GmbH", email="petra@nordlicht.example")
    pooled = public_lead("Olaf Ostwind", "olaf@ostwind.example", company="Ostwind AG")
    bens = lead(ben, "Susi Süd", company="Südwind")
    lead_qualify(actor=anna, lead_id=own.pk)

    def ids(viewer, **params):
        return [row.pk for row in lead_list(viewer=viewer, params=params).rows]

    assert ids(anna) == [pooled.pk, own.pk]  # newest first
    assert ids(ben) == [bens.pk]
    assert ids(people["mia"], sort="name") == [pooled.pk, own.pk, bens.pk]
    assert ids(anna, status="qualified") == [own.pk]
    assert ids(anna, unassigned="true") == [pooled.pk]
    assert ids(anna, q="nordlicht") == [own.pk]
    assert ids(anna, q="OSTWIND.example") == [pooled.pk]
    assert ids(ben, q="nordlicht") == []
    assert ids(anna, source_channel="web") == [pooled.pk]
    rows = lead_list(viewer=anna, params={}, values=("id", "name", "owner__username")).rows
    assert rows[1] == {"id": own.pk, "name": "Petra Paulsen", "owner__username": "anna"}
    with pytest.raises(ValidationError) as caught:
        lead_list(viewer=anna, params={"status": "hot", "colour": "red"})
    assert set(caught.value.message_dict) == {"colour"}
    with pytest.raises(ValidationError) as caught:
        lead_list(viewer=anna, params={"status": "hot"})
    assert set(caught.value.message_dict) == {"status"}
