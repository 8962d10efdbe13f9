"""Service tests for deals: create, update, move through stages, archive, restore."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from kundenwert.audit.models import AuditEvent
from kundenwert.core.context import acting_through
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.org.models import Team
from kundenwert.sales.models import Deal, DealStageChange, Pipeline
from kundenwert.sales.selectors import deal_stage_history
from kundenwert.sales.services import (
    deal_archive,
    deal_create,
    deal_move_stage,
    deal_restore,
    deal_update,
    pipeline_create,
)
from kundenwert.sales.signals import deal_won
from tests.contacts.factories import org, person
from tests.core.state import one_event
from tests.sales.factories import deal, default_pipeline, sales_unchanged, stages

Verb = AuditEvent.Verb


@pytest.fixture
def world(people):
    anna = people["anna"]
    return {
        "org": org(anna, "Nordlicht GmbH"),
        "person": person(anna, "Paulsen", first_name="Petra"),
        "stages": stages(),
    }


@pytest.fixture
def won_signals():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    deal_won.connect(receiver)
    yield received
    deal_won.disconnect(receiver)


# --- the shipped pipeline ------------------------------------------------------------------------


def test_the_migration_ships_a_default_pipeline_with_translated_presets(db):
    pipeline = Pipeline.objects.get(is_default=True)
    rows = list(pipeline.stages.order_by("position").values_list("name", "probability", "kind"))
    assert pipeline.name == "Sales"
    assert rows == [
        ("Qualification", 10, "open"),
        ("Needs analysis", 25, "open"),
        ("Proposal", 50, "open"),
        ("Negotiation", 75, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
    # Shipped names are msgids shown in the reader's language; a name typed by an
    # administrator is shown as typed.
    with translation.override("de"):
        assert pipeline.display_name == translation.gettext("Sales")
        assert [s.display_name for s in pipeline.stages.order_by("position")] == [
            translation.gettext(name) for name, _p, _k in rows
        ]
    renamed = pipeline.stages.get(name="Proposal")
    renamed.name = "Angebot verschickt"
    assert renamed.display_name == "Angebot verschickt"


# --- create --------------------------------------------------------------------------------------


def test_create_defaults_to_the_first_open_stage_and_records_history(people, world):
    anna = people["anna"]
    with acting_through("api"), one_event(Verb.CREATE) as watch:
        created = deal_create(
            actor=anna,
            data={
                "title": "  Rollout 2027 ",
                "organization_id": world["org"].pk,
                "person_id": world["person"].pk,
                "amount": Decimal("12500.50"),
                "expected_close_date": dt.date(2027, 3, 31),
                "source_channel": "referral",
                "source_campaign": "Messe Hannover",
                "referrer": "Kunde Müller",
            },
        )
    stored = Deal.objects.get(pk=created.pk)
    assert stored.title == "Rollout 2027"
    assert stored.pipeline == default_pipeline()
    assert stored.stage == world["stages"]["Qualification"]
    assert stored.probability == 10
    assert stored.amount == Decimal("12500.50")
    assert stored.currency == "EUR"
    assert stored.owner == anna
    assert stored.team == Team.objects.get(name="Nord")
    assert stored.status == "open"
    assert (stored.won_at, stored.lost_at, stored.closed_at) == (None, None, None)
    assert stored.search_text == "rollout 2027 messe hannover kunde müller"
    (change,) = DealStageChange.objects.filter(deal=stored)
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        None,
        world["stages"]["Qualification"],
        anna,
    )
    (event,) = watch.events
    assert (event.target_type, event.target_id, event.source) == ("deal", str(stored.pk), "api")
    assert event.changes["amount"] == [None, "12500.50"]
    assert event.changes["stage"] == [None, world["stages"]["Qualification"].pk]


def test_create_in_a_stage_takes_its_probability_unless_one_is_given(people, world):
    anna, proposal = people["anna"], world["stages"]["Proposal"]
    by_stage = deal(anna, "A", organization=world["org"], stage_id=proposal.pk)
    overridden = deal(anna, "B", person=world["person"], stage_id=proposal.pk, probability=35)
    assert (by_stage.pipeline_id, by_stage.probability) == (proposal.pipeline_id, 50)
    assert overridden.probability == 35


def test_creating_a_won_deal_sets_its_dates_and_announces_it_after_commit(
    people, world, won_signals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = deal(
            people["anna"],
            "Sofort",
            organization=world["org"],
            amount="990.00",
            stage_id=world["stages"]["Won"].pk,
        )
    assert created.won_at is not None and created.closed_at == created.won_at
    assert won_signals == [
        {
            "signal": deal_won,
            "deal_id": created.pk,
            "organization_id": world["org"].pk,
            "person_id": None,
            "amount": Decimal("990.00"),
            "currency": "EUR",
            "won_at": created.won_at,
        }
    ]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"title": "x"}, {"organization_id": ["Link the deal to an organisation or a person."]}),
        ({"title": "", "person_id": "P"}, {"title"}),
        ({"title": "x", "person_id": "P", "amount": 12.5}, {"amount"}),
        ({"title": "x", "person_id": "P", "amount": Decimal("-1")}, {"amount"}),
        ({"title": "x", "person_id": "P", "amount": Decimal("NaN")}, {"amount"}),
        ({"title": "x", "person_id": "P", "amount": Decimal("1e15")}, {"amount"}),
        (
            {"title": "x", "person_id": "P", "amount": Decimal("1.005")},
            {"amount": ["Amounts in EUR have at most 2 decimal places."]},
        ),
        ({"title": "x", "person_id": "P", "amount": Decimal("5.5"), "currency": "JPY"}, {"amount"}),
        ({"title": "x", "person_id": "P", "currency": "EURO"}, {"currency"}),
        ({"title": "x", "person_id": "P", "probability": 101}, {"probability"}),
        ({"title": "x", "person_id": "P", "source_channel": "fax"}, {"source_channel"}),
        (
            {"title": "x", "person_id": "P", "expected_close_date": "2027-01-01"},
            {"expected_close_date"},
        ),
        ({"title": "x", "person_id": "P", "colour": "red"}, {"colour"}),
        ({"title": "x", "person_id": "P", "pipeline_id": 10**9}, {"pipeline_id"}),
        ({"title": "x", "person_id": "P", "stage_id": 10**9}, {"stage_id"}),
        ({"title": "x", "person_id": "P", "stage_id": "Lost"}, {"lost_reason"}),
        ({"title": "x", "person_id": "P", "owner_id": True}, {"owner_id"}),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(people, world, data, errors):
    data = dict(data)
    if data.get("person_id") == "P":
        data["person_id"] = world["person"].pk
    if isinstance(data.get("stage_id"), str):
        data["stage_id"] = world["stages"][data["stage_id"]].pk
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_create(actor=people["anna"], data=data)
    if isinstance(errors, dict):
        assert caught.value.message_dict == errors
    else:
        assert set(caught.value.message_dict) == errors


def test_create_reports_every_error_at_once(people, world):
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_create(
            actor=people["anna"],
            data={"title": "", "amount": Decimal("-3"), "stage_id": 10**9},
        )
    assert set(caught.value.message_dict) == {"title", "amount", "stage_id", "organization_id"}


def test_a_linked_record_the_actor_cannot_see_is_not_found(people, world):
    hidden = org(people["ben"], "Südwind AG")
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_create(actor=people["anna"], data={"title": "x", "organization_id": hidden.pk})
    assert caught.value.message_dict == {"organization_id": ["No organisation with this id."]}


def test_a_stage_of_another_pipeline_is_a_clear_field_error(people, world):
    admin = people["admin"]
    renewals = pipeline_create(actor=admin, data={"name": "Renewals"})
    other_stage = renewals.stages.get(name="Proposal")
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_create(
            actor=people["anna"],
            data={
                "title": "x",
                "person_id": world["person"].pk,
                "pipeline_id": default_pipeline().pk,
                "stage_id": other_stage.pk,
            },
        )
    assert caught.value.message_dict == {
        "stage_id": ["This stage belongs to another pipeline than the deal's (“Sales”)."]
    }


def test_a_read_only_user_may_not_create_a_deal(people, world):
    vera = people["vera"]
    with sales_unchanged(denied=1), pytest.raises(PermissionDenied):
        deal_create(actor=vera, data={"title": "x", "organization_id": world["org"].pk})


# --- moving ------------------------------------------------------------------------------------


def test_moving_sets_probability_records_history_and_audits(people, world):
    anna = people["anna"]
    created = deal(anna, "Move me", organization=world["org"], probability=5)
    proposal = world["stages"]["Proposal"]
    with acting_through("web"), one_event(Verb.UPDATE) as watch:
        moved = deal_move_stage(actor=anna, deal_id=created.pk, stage_id=proposal.pk)
    stored = Deal.objects.get(pk=created.pk)
    assert (stored.stage, stored.probability, stored.version) == (proposal, 50, 2)
    assert moved.version == 2
    history = list(DealStageChange.objects.filter(deal=stored).order_by("id"))
    assert [(h.from_stage_id, h.to_stage_id) for h in history] == [
        (None, world["stages"]["Qualification"].pk),
        (world["stages"]["Qualification"].pk, proposal.pk),
    ]
    (event,) = watch.events
    assert event.changes == {
        "stage": [world["stages"]["Qualification"].pk, proposal.pk],
        "probability": [5, 50],
    }


def test_moving_to_the_stage_it_is_in_changes_nothing(people, world):
    created = deal(people["anna"], "Stay", organization=world["org"])
    with sales_unchanged():
        deal_move_stage(
            actor=people["anna"],
            deal_id=created.pk,
            stage_id=world["stages"]["Qualification"].pk,
        )


def test_winning_announces_once_and_reopening_clears_the_dates(
    people, world, won_signals, django_capture_on_commit_callbacks
):
    anna, s = people["anna"], world["stages"]
    created = deal(anna, "Big one", organization=world["org"], amount="1000.00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        won = deal_move_stage(actor=anna, deal_id=created.pk, stage_id=s["Won"].pk)
    assert len(callbacks) == 1
    assert (won.status, won.probability, won.closed_at) == ("won", 100, won.won_at)
    assert [w["deal_id"] for w in won_signals] == [created.pk]
    with django_capture_on_commit_callbacks(execute=True):
        reopened = deal_move_stage(actor=anna, deal_id=created.pk, stage_id=s["Negotiation"].pk)
    stored = Deal.objects.get(pk=created.pk)
    assert (stored.won_at, stored.lost_at, stored.closed_at) == (None, None, None)
    assert (reopened.status, stored.probability) == ("open", 75)
    assert len(won_signals) == 1


def test_a_rolled_back_win_is_never_announced(people, world, won_signals):
    from django.db import transaction

    created = deal(people["anna"], "Almost", organization=world["org"])
    with pytest.raises(RuntimeError), transaction.atomic():
        deal_move_stage(
            actor=people["anna"], deal_id=created.pk, stage_id=world["stages"]["Won"].pk
        )
        raise RuntimeError("the caller's transaction fails")
    assert won_signals == []
    assert Deal.objects.get(pk=created.pk).won_at is None


def test_lost_needs_a_reason(people, world):
    anna, lost = people["anna"], world["stages"]["Lost"]
    created = deal(anna, "Risky", organization=world["org"])
    for reason in (None, "", "   "):
        with sales_unchanged(), pytest.raises(ValidationError) as caught:
            deal_move_stage(actor=anna, deal_id=created.pk, stage_id=lost.pk, lost_reason=reason)
        assert caught.value.message_dict == {"lost_reason": ["Say why the deal was lost."]}
    moved = deal_move_stage(
        actor=anna, deal_id=created.pk, stage_id=lost.pk, lost_reason=" Price too high "
    )
    assert (moved.status, moved.lost_reason, moved.probability) == ("lost", "Price too high", 0)
    assert moved.closed_at == moved.lost_at is not None
    reopened = deal_move_stage(
        actor=anna, deal_id=created.pk, stage_id=world["stages"]["Proposal"].pk
    )
    assert (reopened.lost_reason, reopened.lost_at, reopened.status) == ("", None, "open")


def test_a_stage_of_another_pipeline_is_refused_on_move(people, world):
    renewals = pipeline_create(actor=people["admin"], data={"name": "Renewals"})
    created = deal(people["anna"], "Here", organization=world["org"])
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_move_stage(
            actor=people["anna"],
            deal_id=created.pk,
            stage_id=renewals.stages.get(name="Won").pk,
        )
    assert caught.value.message_dict == {
        "stage_id": ["This stage belongs to another pipeline than the deal's (“Sales”)."]
    }


def test_moving_needs_edit_permission_and_a_denial_changes_nothing(people, world):
    anna, carl, ben = people["anna"], people["carl"], people["ben"]
    created = deal(anna, "Anna's", organization=world["org"])
    target = world["stages"]["Proposal"].pk
    # carl (sales, Nord) sees his teammate's deal but may edit only his own: 403, audited once.
    with sales_unchanged(denied=1), pytest.raises(PermissionDenied):
        deal_move_stage(actor=carl, deal_id=created.pk, stage_id=target)
    event = AuditEvent.objects.filter(verb=Verb.PERMISSION_DENIED).latest("id")
    assert (event.actor, event.target_type, event.target_id) == (carl, "deal", str(created.pk))
    assert event.changes == {"action": "deal.edit"}
    # ben (sales, Süd) does not see it at all: not found, nothing to audit.
    with sales_unchanged(), pytest.raises(NotFound):
        deal_move_stage(actor=ben, deal_id=created.pk, stage_id=target)
    with sales_unchanged(denied=1), pytest.raises(PermissionDenied):
        deal_move_stage(actor=people["vera"], deal_id=created.pk, stage_id=target)


def test_a_stale_version_is_refused(people, world):
    anna = people["anna"]
    created = deal(anna, "Versioned", organization=world["org"])
    with sales_unchanged(), pytest.raises(PreconditionFailed):
        deal_move_stage(
            actor=anna,
            deal_id=created.pk,
            stage_id=world["stages"]["Proposal"].pk,
            expected_version=created.version + 1,
        )
    moved = deal_move_stage(
        actor=anna,
        deal_id=created.pk,
        stage_id=world["stages"]["Proposal"].pk,
        expected_version=created.version,
    )
    assert moved.version == created.version + 1


def test_history_gives_the_time_spent_in_each_stage(people, world):
    anna, s = people["anna"], world["stages"]
    created = deal(anna, "Timed", organization=world["org"])
    deal_move_stage(actor=anna, deal_id=created.pk, stage_id=s["Proposal"].pk)
    deal_move_stage(actor=anna, deal_id=created.pk, stage_id=s["Won"].pk)
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    rows = list(DealStageChange.objects.filter(deal=created).order_by("id"))
    for offset, row in zip((0, 3, 10), rows, strict=True):
        DealStageChange.objects.filter(pk=row.pk).update(
            changed_at=start + dt.timedelta(days=offset)
        )
    spells = deal_stage_history(viewer=anna, deal_id=created.pk)
    assert [(sp.stage.name, sp.duration.days) for sp in spells[:2]] == [
        ("Qualification", 3),
        ("Proposal", 7),
    ]
    assert spells[2].stage.name == "Won" and spells[2].left_at is None
    assert [sp.changed_by_name for sp in spells] == ["anna"] * 3
    with pytest.raises(NotFound):
        deal_stage_history(viewer=people["ben"], deal_id=created.pk)


# --- update, archive, restore ------------------------------------------------------------------


def test_update_changes_fields_and_can_move(people, world, django_capture_on_commit_callbacks):
    anna, s = people["anna"], world["stages"]
    created = deal(anna, "Edit me", organization=world["org"], amount="100.00")
    with one_event(Verb.UPDATE) as watch:
        updated = deal_update(
            actor=anna,
            deal_id=created.pk,
            data={"amount": "250.00", "currency": "usd", "stage_id": s["Negotiation"].pk},
            expected_version=1,
        )
    assert (updated.amount, updated.currency, updated.probability) == (
        Decimal("250.00"),
        "USD",
        75,
    )
    assert DealStageChange.objects.filter(deal=created).count() == 2
    assert set(watch.events[0].changes) == {"amount", "currency", "stage", "probability"}
    # An explicit probability wins over the stage's; unchanged values write nothing.
    again = deal_update(
        actor=anna, deal_id=created.pk, data={"stage_id": s["Proposal"].pk, "probability": 60}
    )
    assert again.probability == 60
    with sales_unchanged():
        deal_update(actor=anna, deal_id=created.pk, data={"title": "Edit me"})


def test_update_refuses_a_move_to_lost_without_reason_and_clearing_the_reason(people, world):
    anna, s = people["anna"], world["stages"]
    created = deal(anna, "L", organization=world["org"])
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_update(actor=anna, deal_id=created.pk, data={"stage_id": s["Lost"].pk})
    assert set(caught.value.message_dict) == {"lost_reason"}
    lost = deal_update(
        actor=anna, deal_id=created.pk, data={"stage_id": s["Lost"].pk, "lost_reason": "Budget"}
    )
    assert lost.lost_reason == "Budget"
    with sales_unchanged(), pytest.raises(ValidationError):
        deal_update(actor=anna, deal_id=created.pk, data={"lost_reason": ""})


def test_update_refuses_to_unlink_the_last_customer(people, world):
    anna = people["anna"]
    created = deal(anna, "Linked", organization=world["org"])
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        deal_update(actor=anna, deal_id=created.pk, data={"organization_id": None})
    assert caught.value.message_dict == {
        "organization_id": ["Link the deal to an organisation or a person."]
    }


def test_giving_a_deal_away_is_refused_when_the_new_owner_is_out_of_reach(people, world):
    anna = people["anna"]
    created = deal(anna, "Mine", organization=world["org"])
    with sales_unchanged(denied=1), pytest.raises(PermissionDenied):
        deal_update(actor=anna, deal_id=created.pk, data={"owner_id": people["ben"].pk})


def test_archive_and_restore(people, world):
    anna = people["anna"]
    created = deal(anna, "Old", organization=world["org"])
    with one_event(Verb.ARCHIVE):
        archived = deal_archive(actor=anna, deal_id=created.pk)
    assert archived.archived_at is not None
    with sales_unchanged():
        deal_archive(actor=anna, deal_id=created.pk)  # twice is harmless
    with sales_unchanged(), pytest.raises(ConflictError):
        deal_move_stage(actor=anna, deal_id=created.pk, stage_id=world["stages"]["Won"].pk)
    with sales_unchanged(denied=1), pytest.raises(PermissionDenied):
        deal_restore(actor=people["carl"], deal_id=created.pk)
    with one_event(Verb.RESTORE):
        restored = deal_restore(actor=anna, deal_id=created.pk)
    assert restored.archived_at is None
