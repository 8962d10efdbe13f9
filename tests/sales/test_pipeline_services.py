"""Service tests for pipelines and stages: configuration for administrators only."""

from __future__ import annotations

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from kundenwert.sales.models import Pipeline, Stage
from kundenwert.sales.services import (
    deal_archive,
    pipeline_archive,
    pipeline_create,
    pipeline_restore,
    pipeline_update,
    stage_archive,
    stage_create,
    stage_reorder,
    stage_update,
)
from tests.contacts.factories import org
from tests.core.state import one_event
from tests.sales.factories import deal, default_pipeline, sales_unchanged, stages

Verb = AuditEvent.Verb

CUSTOM = [
    {"name": "Lead", "probability": 5},
    {"name": "Signed", "probability": 100, "kind": "won"},
    {"name": "Dropped", "probability": 0, "kind": "lost"},
]


def _names(pipeline: Pipeline) -> list[str]:
    return list(
        pipeline.stages.filter(archived_at__isnull=True)
        .order_by("position")
        .values_list("name", flat=True)
    )


def test_an_administrator_creates_a_pipeline_with_preset_or_own_stages(people):
    admin = people["admin"]
    with one_event(Verb.CREATE) as watch:
        presets = pipeline_create(actor=admin, data={"name": " Renewals "})
    assert (presets.name, presets.is_default, presets.position) == ("Renewals", False, 1)
    assert _names(presets) == [
        "Qualification", "Needs analysis", "Proposal", "Negotiation", "Won", "Lost",
    ]  # fmt: skip
    assert watch.events[0].changes["stages"][1][0] == ["Qualification", 10, "open"]
    own = pipeline_create(actor=admin, data={"name": "Partners", "stages": CUSTOM})
    assert list(own.stages.order_by("position").values_list("name", "probability", "kind")) == [
        ("Lead", 5, "open"),
        ("Signed", 100, "won"),
        ("Dropped", 0, "lost"),
    ]


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        ({"name": ""}, {"name"}),
        ({"name": "X", "stages": CUSTOM[:2]}, {"stages"}),  # no lost stage
        ({"name": "X", "stages": []}, {"stages"}),
        ({"name": "X", "stages": "Lead"}, {"stages"}),
        (
            {"name": "X", "stages": [*CUSTOM, {"name": "Y", "probability": 120}]},
            {"stages.3.probability"},
        ),
        ({"name": "X", "stages": [*CUSTOM, {"name": "Y", "kind": "maybe"}]}, {"stages.3.kind"}),
        ({"name": "X", "colour": "red"}, {"colour"}),
        ({"name": "X", "is_default": "yes"}, {"is_default"}),
    ],
)
def test_pipeline_create_refuses_bad_input(people, data, keys):
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        pipeline_create(actor=people["admin"], data=data)
    assert set(caught.value.message_dict) == keys


def test_a_pipeline_needs_an_open_a_won_and_a_lost_stage(people):
    with pytest.raises(ValidationError) as caught:
        pipeline_create(actor=people["admin"], data={"name": "X", "stages": CUSTOM[1:]})
    assert caught.value.message_dict == {
        "stages": ["A pipeline needs at least one open, one won and one lost stage."]
    }


@pytest.mark.parametrize("who", ["anna", "mia", "vera"])
def test_only_administrators_configure_pipelines(people, who):
    actor, pipeline = people[who], default_pipeline()
    stage = pipeline.stages.get(name="Proposal")
    calls = [
        lambda: pipeline_create(actor=actor, data={"name": "Mine"}),
        lambda: pipeline_update(actor=actor, pipeline_id=pipeline.pk, data={"name": "Mine"}),
        lambda: pipeline_archive(actor=actor, pipeline_id=pipeline.pk),
        lambda: stage_create(actor=actor, pipeline_id=pipeline.pk, data={"name": "Demo"}),
        lambda: stage_update(actor=actor, stage_id=stage.pk, data={"probability": 40}),
        lambda: stage_reorder(
            actor=actor, pipeline_id=pipeline.pk, stage_ids=list(reversed(_ids(pipeline)))
        ),
        lambda: stage_archive(actor=actor, stage_id=stage.pk),
    ]
    for call in calls:
        with sales_unchanged(denied=1), pytest.raises(PermissionDenied):
            call()


def _ids(pipeline: Pipeline) -> list[int]:
    return list(
        pipeline.stages.filter(archived_at__isnull=True)
        .order_by("position")
        .values_list("pk", flat=True)
    )


def test_one_default_pipeline_at_a_time(people):
    admin, sales = people["admin"], default_pipeline()
    other = pipeline_create(actor=admin, data={"name": "Renewals", "is_default": True})
    sales.refresh_from_db()
    assert (other.is_default, sales.is_default) == (True, False)
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        pipeline_update(actor=admin, pipeline_id=other.pk, data={"is_default": False})
    assert caught.value.message_dict == {
        "is_default": ["Make another pipeline the default instead."]
    }
    pipeline_update(actor=admin, pipeline_id=sales.pk, data={"is_default": True})
    assert list(Pipeline.objects.filter(is_default=True)) == [sales]


def test_archiving_a_pipeline_is_refused_for_the_default_and_with_open_deals(people):
    admin, anna = people["admin"], people["anna"]
    sales = default_pipeline()
    with sales_unchanged(), pytest.raises(ConflictError) as caught:
        pipeline_archive(actor=admin, pipeline_id=sales.pk)
    assert caught.value.code == "default_pipeline"
    renewals = pipeline_create(actor=admin, data={"name": "Renewals"})
    open_deal = deal(anna, "Open", organization=org(anna, "A"), pipeline_id=renewals.pk)
    with sales_unchanged(), pytest.raises(ConflictError) as caught:
        pipeline_archive(actor=admin, pipeline_id=renewals.pk)
    assert caught.value.detail == "This pipeline still has 1 open deal. Close or move it first."
    deal_archive(actor=anna, deal_id=open_deal.pk)
    with one_event(Verb.ARCHIVE):
        archived = pipeline_archive(actor=admin, pipeline_id=renewals.pk)
    assert archived.archived_at is not None
    with sales_unchanged(), pytest.raises(ConflictError):
        pipeline_update(actor=admin, pipeline_id=renewals.pk, data={"name": "Renamed"})
    with one_event(Verb.RESTORE):
        pipeline_restore(actor=admin, pipeline_id=renewals.pk)


def test_a_new_open_stage_goes_before_the_closed_ones(people):
    admin, pipeline = people["admin"], default_pipeline()
    with one_event(Verb.CREATE):
        demo = stage_create(
            actor=admin, pipeline_id=pipeline.pk, data={"name": "Demo", "probability": 60}
        )
    assert _names(pipeline) == [
        "Qualification", "Needs analysis", "Proposal", "Negotiation", "Demo", "Won", "Lost",
    ]  # fmt: skip
    assert demo.position == 4
    stage_create(actor=admin, pipeline_id=pipeline.pk, data={"name": "First", "position": 0})
    stage_create(actor=admin, pipeline_id=pipeline.pk, data={"name": "Won late", "kind": "won"})
    assert _names(pipeline)[0] == "First" and _names(pipeline)[-1] == "Won late"
    assert list(
        pipeline.stages.filter(archived_at__isnull=True)
        .order_by("position")
        .values_list("position", flat=True)
    ) == list(range(9))


def test_stage_update_guards_the_kinds(people):
    admin, anna, pipeline = people["admin"], people["anna"], default_pipeline()
    s = stages(pipeline)
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        stage_update(actor=admin, stage_id=s["Lost"].pk, data={"kind": "open"})
    assert caught.value.message_dict == {
        "kind": ["A pipeline needs at least one open, one won and one lost stage."]
    }
    deal(anna, "Holds", organization=org(anna, "A"), stage_id=s["Proposal"].pk)
    with sales_unchanged(), pytest.raises(ValidationError) as caught:
        stage_update(actor=admin, stage_id=s["Proposal"].pk, data={"kind": "won"})
    assert caught.value.message_dict == {
        "kind": ["This stage holds deals: move them before changing its kind."]
    }
    for bad in ({"position": "1"}, {"probability": -1}, {"kind": "maybe"}, {"colour": "red"}):
        with sales_unchanged(), pytest.raises(ValidationError):
            stage_update(actor=admin, stage_id=s["Proposal"].pk, data=bad)
    with one_event(Verb.UPDATE) as watch:
        renamed = stage_update(
            actor=admin,
            stage_id=s["Proposal"].pk,
            data={"name": "Offer", "probability": 55, "position": 0},
            expected_version=1,
        )
    assert watch.events[0].changes == {
        "name": ["Proposal", "Offer"],
        "position": [2, 0],
        "probability": [50, 55],
    }
    assert (renamed.version, _names(pipeline)[0]) == (2, "Offer")


def test_stage_archive_refuses_stages_with_deals_and_the_last_of_a_kind(people):
    admin, anna, pipeline = people["admin"], people["anna"], default_pipeline()
    s = stages(pipeline)
    held = deal(anna, "Holds", organization=org(anna, "A"), stage_id=s["Negotiation"].pk)
    with sales_unchanged(), pytest.raises(ConflictError) as caught:
        stage_archive(actor=admin, stage_id=s["Negotiation"].pk)
    assert caught.value.code == "stage_has_deals"
    with sales_unchanged(), pytest.raises(ConflictError) as caught:
        stage_archive(actor=admin, stage_id=s["Won"].pk)
    assert caught.value.code == "stage_required"
    deal_archive(actor=anna, deal_id=held.pk)
    with one_event(Verb.ARCHIVE):
        stage_archive(actor=admin, stage_id=s["Negotiation"].pk)
    assert _names(pipeline) == ["Qualification", "Needs analysis", "Proposal", "Won", "Lost"]
    assert Stage.objects.get(pk=s["Lost"].pk).position == 4


def test_reorder_needs_every_active_stage_once(people):
    admin, pipeline = people["admin"], default_pipeline()
    ids = _ids(pipeline)
    for bad in (ids[:-1], [*ids, ids[0]], [*ids[:-1], 10**9], "1,2"):
        with sales_unchanged(), pytest.raises(ValidationError):
            stage_reorder(actor=admin, pipeline_id=pipeline.pk, stage_ids=bad)
    wanted = [ids[1], ids[0], *ids[2:]]
    with one_event(Verb.UPDATE):
        stage_reorder(actor=admin, pipeline_id=pipeline.pk, stage_ids=wanted)
    assert _ids(pipeline) == wanted


def test_unknown_pipelines_and_stages_are_not_found(people):
    admin = people["admin"]
    for call in (
        lambda: pipeline_update(actor=admin, pipeline_id=10**9, data={"name": "X"}),
        lambda: stage_update(actor=admin, stage_id=10**9, data={"name": "X"}),
        lambda: stage_create(actor=admin, pipeline_id=10**9, data={"name": "X"}),
    ):
        with sales_unchanged(), pytest.raises(NotFound):
            call()
