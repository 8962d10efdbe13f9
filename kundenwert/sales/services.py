"""Write use cases for pipelines, stages and deals.

Every function: keyword-only, takes the acting user, runs in one transaction (via `service`),
checks permission, writes the audit event, and raises ValidationError, PermissionDenied,
NotFound, ConflictError or PreconditionFailed. Nothing half-writes.

Pipelines and stages are configuration (administrators only). Every service that changes the
stages of a pipeline locks the pipeline row first, so two administrators cannot together leave
a pipeline without an open, a won or a lost stage.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import archive_recorded, audit_record, diff, service, snapshot
from kundenwert.contacts.models import Organization, Person
from kundenwert.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from kundenwert.core.money import Money, minor_units
from kundenwert.core.records import check_not_archived, check_version, run_validators
from kundenwert.org.models import Team
from kundenwert.org.policies import can, permissions_for

from .models import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    PRESET_STAGES,
    Deal,
    DealStageChange,
    Pipeline,
    Stage,
    customer_required_message,
    deal_search_text,
)
from .policies import may_configure_pipelines
from .signals import deal_won

PIPELINE_FIELDS = ("name", "position", "is_default")
STAGE_FIELDS = ("name", "position", "probability", "kind")
DEAL_FIELDS = (
    "title", "organization", "person", "owner", "team", "amount", "currency",
    "expected_close_date", "pipeline", "stage", "probability", "source_channel",
    "source_campaign", "referrer", "lost_reason",
)  # fmt: skip
DEAL_AUDIT_FIELDS = (*DEAL_FIELDS, "won_at", "lost_at", "closed_at")
# Adapters name relations by id; services and models by the relation.
ID_KEYS = {
    "organization_id": "organization",
    "person_id": "person",
    "owner_id": "owner",
    "team_id": "team",
    "pipeline_id": "pipeline",
    "stage_id": "stage",
}
RELATION_KEYS = {v: k for k, v in ID_KEYS.items()}
MAX_AMOUNT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_PLACES)
MAX_STAGES = 30


# --- shared helpers ------------------------------------------------------------------------


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(limit: int):
    def build(value) -> str:
        if value is not None and not isinstance(value, str):
            raise TypeError("text expected")
        return (value or "").strip()[:limit]

    return build


def _percent(field: str):
    def build(value) -> int:
        if not _is_id(value):
            raise TypeError("int expected")
        if not 0 <= value <= 100:
            raise ValidationError({field: [_("Enter a whole percentage between 0 and 100.")]})
        return value

    return build


def _position(value) -> int:
    if not _is_id(value):
        raise TypeError("int expected")
    if value < 0 or value > 10_000:
        raise ValidationError({"position": [_("Enter a position between 0 and 10000.")]})
    return value


def _errors_by_id(exc: ValidationError) -> dict[str, list[str]]:
    """Name relation errors as adapters send them (`stage_id`, not `stage`)."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD_ERRORS: list(exc.messages)}
    result: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        result.setdefault(RELATION_KEYS.get(key, key), []).extend(messages)
    return result


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for key, messages in more.items():
        bucket = errors.setdefault(key, [])
        bucket.extend(m for m in messages if m not in bucket)


def _rename_ids(data: dict) -> dict:
    return {ID_KEYS.get(key, key): value for key, value in data.items()}


def _unknown(data: dict, allowed) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({RELATION_KEYS.get(k, k): [_("Unknown field.")] for k in unknown})


# --- pipelines and stages: configuration -------------------------------------------------------


def _require_admin(actor, target_type: str, target=None) -> None:
    if not may_configure_pipelines(actor):
        raise PermissionDenied(
            _("Only administrators may change pipelines and stages."),
            action=f"{target_type}.edit",
            target_type=target_type,
            target_id=str(target.pk) if target is not None and target.pk else "",
        )


def _lock_pipeline(pipeline_id) -> Pipeline:
    pipeline = (
        Pipeline.objects.select_for_update().filter(pk=pipeline_id).first()
        if _is_id(pipeline_id)
        else None
    )
    if pipeline is None:
        raise NotFound(_("Pipeline not found."))
    return pipeline


def _active_stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.filter(archived_at__isnull=True).order_by("position", "id"))


def _missing_kinds(kinds) -> list[str]:
    present = set(kinds)
    return [k for k in Stage.Kind.values if k not in present]


def _kinds_message() -> str:
    return _("A pipeline needs at least one open, one won and one lost stage.")


def _renumber(stages: list[Stage]) -> None:
    changed = []
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
            changed.append(stage)
    if changed:
        Stage.objects.bulk_update(changed, ["position"])


def _kind(value) -> str:
    if value not in Stage.Kind.values:
        raise ValidationError({"kind": [_("Choose open, won or lost.")]})
    return value


PIPELINE_NORMALIZERS = {"name": _text(100), "position": _position}
STAGE_NORMALIZERS = {
    "name": _text(100),
    "position": _position,
    "probability": _percent("probability"),
    "kind": _kind,
}


def _make_default(pipeline: Pipeline) -> None:
    """Make `pipeline` the only default (the others first: one default at any time)."""
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)


def _stage_specs(raw) -> list[Stage]:
    """Validate the stages given with a new pipeline; return unsaved Stage objects."""
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationError({"stages": [_("Give the pipeline's stages as a list.")]})
    if len(raw) > MAX_STAGES:
        message = _("A pipeline has at most %(count)d stages.") % {"count": MAX_STAGES}
        raise ValidationError({"stages": [message]})
    stages, errors = [], {}
    for index, spec in enumerate(raw):
        if not isinstance(spec, dict):
            errors[f"stages.{index}"] = [_("Enter a stage with name, probability and kind.")]
            continue
        unknown = set(spec) - {"name", "probability", "kind"}
        stage = Stage(position=index, kind=Stage.Kind.OPEN)
        try:
            if unknown:
                raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
            run_validators(stage, spec, STAGE_NORMALIZERS)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key != "pipeline":  # not yet saved: the pipeline is set on save
                    errors[f"stages.{index}.{key}"] = messages
        stages.append(stage)
    if errors:
        raise ValidationError(errors)
    if _missing_kinds(s.kind for s in stages):
        raise ValidationError({"stages": [_kinds_message()]})
    return stages


def _apply_pipeline(pipeline: Pipeline, data: dict) -> None:
    """Validate `data` onto the pipeline; the default flag last, after full_clean.

    full_clean would check the one-default constraint against the old default, which the
    service demotes in the same transaction.
    """
    fields = {k: v for k, v in data.items() if k != "is_default"}
    errors: dict[str, list[str]] = {}
    try:
        run_validators(pipeline, fields, PIPELINE_NORMALIZERS)
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    if "is_default" in data:
        if isinstance(data["is_default"], bool):
            pipeline.is_default = data["is_default"]
        else:
            errors["is_default"] = [_("Enter true or false.")]
    if errors:
        raise ValidationError(errors)


def _pipeline_snapshot(pipeline: Pipeline) -> dict:
    return snapshot(pipeline, PIPELINE_FIELDS)


@service
def pipeline_create(*, actor, data: dict) -> Pipeline:
    """Create a pipeline with its stages (administrators only).

    `data`: name, position, is_default, and `stages` — a list of {name, probability, kind} in
    board order with at least one open, one won and one lost stage; without it, the preset
    stages. The first pipeline becomes the default; making a new one the default demotes the old.
    """
    _require_admin(actor, "pipeline")
    data = dict(data)
    raw_stages = data.pop("stages", None)
    _unknown(data, PIPELINE_FIELDS)
    last = Pipeline.objects.order_by("-position").values_list("position", flat=True).first()
    pipeline = Pipeline(position=0 if last is None else last + 1)
    errors: dict[str, list[str]] = {}
    try:
        _apply_pipeline(pipeline, data)
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    stages: list[Stage] = []
    try:
        if raw_stages is None:
            stages = [
                Stage(name=name, position=i, probability=probability, kind=kind)
                for i, (name, probability, kind) in enumerate(PRESET_STAGES)
            ]
        else:
            stages = _stage_specs(raw_stages)
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not Pipeline.objects.filter(is_default=True).exists():
        pipeline.is_default = True
    if pipeline.is_default:
        _make_default(pipeline)
    pipeline.save()
    for stage in stages:
        stage.pipeline = pipeline
    Stage.objects.bulk_create(stages)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=pipeline,
        changes=diff(
            {},
            {
                **_pipeline_snapshot(pipeline),
                "stages": [[s.name, s.probability, s.kind] for s in stages],
            },
        ),
    )
    return pipeline


@service
def pipeline_update(
    *, actor, pipeline_id: int, data: dict, expected_version: int | None = None
) -> Pipeline:
    """Rename, reorder or make a pipeline the default (administrators only).

    Giving up the default is refused: make another pipeline the default instead.
    """
    _unknown(data, PIPELINE_FIELDS)
    pipeline = _lock_pipeline(pipeline_id)
    _require_admin(actor, "pipeline", pipeline)
    check_version(pipeline, expected_version)
    check_not_archived(pipeline)
    before = _pipeline_snapshot(pipeline)
    was_default = pipeline.is_default
    _apply_pipeline(pipeline, data)
    if was_default and not pipeline.is_default:
        raise ValidationError({"is_default": [_("Make another pipeline the default instead.")]})
    changes = diff(before, _pipeline_snapshot(pipeline))
    if changes:
        if pipeline.is_default and not was_default:
            _make_default(pipeline)
        pipeline.version += 1
        pipeline.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=pipeline, changes=changes)
    return pipeline


def _set_pipeline_archived(*, actor, pipeline_id: int, archived: bool) -> Pipeline:
    pipeline = _lock_pipeline(pipeline_id)
    _require_admin(actor, "pipeline", pipeline)
    if (pipeline.archived_at is not None) == archived:
        return pipeline
    if archived:
        if pipeline.is_default:
            raise ConflictError(
                _("The default pipeline cannot be archived. Make another one the default first."),
                code="default_pipeline",
            )
        open_deals = Deal.objects.filter(
            pipeline=pipeline, archived_at__isnull=True, closed_at__isnull=True
        ).count()
        if open_deals:
            raise ConflictError(
                ngettext(
                    "This pipeline still has %(count)d open deal. Close or move it first.",
                    "This pipeline still has %(count)d open deals. Close or move them first.",
                    open_deals,
                )
                % {"count": open_deals},
                code="has_open_deals",
            )
    before = pipeline.archived_at
    pipeline.archived_at = timezone.now() if archived else None
    pipeline.version += 1
    pipeline.save(update_fields=["archived_at", "version", "updated_at"])
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.ARCHIVE if archived else AuditEvent.Verb.RESTORE,
        target=pipeline,
        changes=diff({"archived_at": before}, {"archived_at": pipeline.archived_at}),
    )
    return pipeline


@service
def pipeline_archive(*, actor, pipeline_id: int) -> Pipeline:
    """Archive a pipeline without open deals (administrators only; never the default one)."""
    return _set_pipeline_archived(actor=actor, pipeline_id=pipeline_id, archived=True)


@service
def pipeline_restore(*, actor, pipeline_id: int) -> Pipeline:
    return _set_pipeline_archived(actor=actor, pipeline_id=pipeline_id, archived=False)


def _stage_snapshot(stage: Stage) -> dict:
    return {**snapshot(stage, STAGE_FIELDS), "pipeline": stage.pipeline_id}


@service
def stage_create(*, actor, pipeline_id: int, data: dict) -> Stage:
    """Add a stage to a pipeline (administrators only).

    Without a `position`, an open stage goes before the first won or lost stage and a closed one
    at the end; the other stages move up to make room.
    """
    _unknown(data, STAGE_FIELDS)
    pipeline = _lock_pipeline(pipeline_id)
    _require_admin(actor, "stage")
    check_not_archived(pipeline)
    stages = _active_stages(pipeline)
    if len(stages) >= MAX_STAGES:
        raise ConflictError(
            _("A pipeline has at most %(count)d stages.") % {"count": MAX_STAGES},
            code="too_many_stages",
        )
    stage = Stage(pipeline=pipeline, kind=Stage.Kind.OPEN)
    run_validators(stage, data, STAGE_NORMALIZERS)
    if "position" in data:
        index = min(stage.position, len(stages))
    elif stage.kind == Stage.Kind.OPEN:
        index = next((i for i, s in enumerate(stages) if s.is_closed), len(stages))
    else:
        index = len(stages)
    stage.position = index
    stage.save()
    stages.insert(index, stage)
    _renumber(stages)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=stage,
        changes=diff({}, _stage_snapshot(stage)),
    )
    return stage


def _lock_stage(stage_id) -> tuple[Pipeline, Stage]:
    pipeline_id = (
        Stage.objects.filter(pk=stage_id).values_list("pipeline_id", flat=True).first()
        if _is_id(stage_id)
        else None
    )
    if pipeline_id is None:
        raise NotFound(_("Stage not found."))
    pipeline = _lock_pipeline(pipeline_id)
    return pipeline, Stage.objects.select_for_update().get(pk=stage_id)


@service
def stage_update(*, actor, stage_id: int, data: dict, expected_version: int | None = None) -> Stage:
    """Rename a stage or change its default probability or kind (administrators only).

    The kind of a stage that holds deals cannot change (their won/lost dates follow from it);
    a change that leaves the pipeline without an open, won or lost stage is refused. Changing
    the default probability leaves the deals already in the stage as they are.
    """
    _unknown(data, STAGE_FIELDS)
    pipeline, stage = _lock_stage(stage_id)
    _require_admin(actor, "stage", stage)
    check_version(stage, expected_version)
    check_not_archived(stage)
    before = _stage_snapshot(stage)
    run_validators(stage, data, STAGE_NORMALIZERS)
    if stage.kind != before["kind"]:
        if Deal.objects.filter(stage=stage).exists():
            raise ValidationError(
                {"kind": [_("This stage holds deals: move them before changing its kind.")]}
            )
        kinds = [s.kind if s.pk != stage.pk else stage.kind for s in _active_stages(pipeline)]
        if _missing_kinds(kinds):
            raise ValidationError({"kind": [_kinds_message()]})
    if "position" in data:
        stages = [s for s in _active_stages(pipeline) if s.pk != stage.pk]
        stages.insert(min(stage.position, len(stages)), stage)
        _renumber(stages)
    changes = diff(before, _stage_snapshot(stage))
    if changes:
        stage.version += 1
        stage.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=stage, changes=changes)
    return stage


@service
def stage_reorder(*, actor, pipeline_id: int, stage_ids: list[int]) -> list[Stage]:
    """Put the pipeline's active stages in the given order (administrators only).

    `stage_ids` must name every active stage of the pipeline exactly once.
    """
    pipeline = _lock_pipeline(pipeline_id)
    _require_admin(actor, "pipeline", pipeline)
    check_not_archived(pipeline)
    stages = _active_stages(pipeline)
    if (
        not isinstance(stage_ids, list | tuple)
        or not all(_is_id(i) for i in stage_ids)
        or sorted(stage_ids) != sorted(s.pk for s in stages)
    ):
        raise ValidationError(
            {"stage_ids": [_("Give every active stage of this pipeline exactly once.")]}
        )
    before = [s.pk for s in stages]
    by_id = {s.pk: s for s in stages}
    ordered = [by_id[i] for i in stage_ids]
    if before != list(stage_ids):
        _renumber(ordered)
        pipeline.version += 1
        pipeline.save(update_fields=["version", "updated_at"])
        audit_record(
            actor=actor,
            verb=AuditEvent.Verb.UPDATE,
            target=pipeline,
            changes={"stage_order": [before, list(stage_ids)]},
        )
    return ordered


@service
def stage_archive(*, actor, stage_id: int) -> Stage:
    """Archive a stage (administrators only).

    Refused while deals that are not archived sit in it, and when it is the pipeline's last
    open, won or lost stage.
    """
    pipeline, stage = _lock_stage(stage_id)
    _require_admin(actor, "stage", stage)
    if stage.archived_at is not None:
        return stage
    count = Deal.objects.filter(stage=stage, archived_at__isnull=True).count()
    if count:
        raise ConflictError(
            ngettext(
                "%(count)d deal is in this stage. Move it to another stage first.",
                "%(count)d deals are in this stage. Move them to another stage first.",
                count,
            )
            % {"count": count},
            code="stage_has_deals",
        )
    if _missing_kinds(s.kind for s in _active_stages(pipeline) if s.pk != stage.pk):
        raise ConflictError(_kinds_message(), code="stage_required")
    before = stage.archived_at
    stage.archived_at = timezone.now()
    stage.version += 1
    stage.save(update_fields=["archived_at", "version", "updated_at"])
    _renumber(_active_stages(pipeline))
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.ARCHIVE,
        target=stage,
        changes=diff({"archived_at": before}, {"archived_at": stage.archived_at}),
    )
    return stage


# --- deals -------------------------------------------------------------------------------------


def _deny(action: str, deal: Deal) -> PermissionDenied:
    messages = {
        "edit": _("You may not change this deal."),
        "delete": _("You may not archive or restore this deal."),
    }
    return PermissionDenied(
        messages[action],
        action=f"deal.{action}",
        target_type="deal",
        target_id=str(deal.pk) if deal.pk else "",
    )


def _require(actor, action: str, deal: Deal) -> None:
    if not can(actor, "deal", action, owner_id=deal.owner_id, team_id=deal.team_id):
        raise _deny(action, deal)


def _lock_deal(actor, deal_id) -> Deal:
    """Lock and return a deal the actor may see; NotFound otherwise (no existence leak)."""
    deal = (
        Deal.objects.visible_to(actor).select_for_update().filter(pk=deal_id).first()
        if _is_id(deal_id)
        else None
    )
    if deal is None:
        raise NotFound(_("Deal not found."))
    return deal


def _default_team(actor) -> Team | None:
    team_ids = sorted(permissions_for(actor).team_ids)
    return Team.objects.filter(pk=team_ids[0]).first() if len(team_ids) == 1 else None


def _owner(value):
    user = (
        get_user_model().objects.filter(pk=value, is_active=True).first() if _is_id(value) else None
    )
    if user is None:
        raise ValidationError({"owner_id": [_("No active user with this id.")]})
    return user


def _team(value) -> Team | None:
    if value is None:
        return None
    team = Team.objects.filter(pk=value).first() if _is_id(value) else None
    if team is None:
        raise ValidationError({"team_id": [_("No team with this id.")]})
    return team


def _visible(model, field: str, message: str, actor):
    """Resolve a linked record the actor may see; one they may not is simply "not found"."""

    def build(value):
        if value is None:
            return None
        found = model.objects.visible_to(actor).filter(pk=value).first() if _is_id(value) else None
        if found is None:
            raise ValidationError({field: [message]})
        return found

    return build


def _amount(value) -> Decimal:
    """Read an amount exactly: a Decimal, an int or a decimal string; never a float."""
    if isinstance(value, float):
        raise ValidationError(
            {"amount": [_("Enter the amount as a decimal string such as 1234.50.")]}
        )
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError({"amount": [_("Enter a number.")]}) from None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError("Decimal expected")
    number = Decimal(value)
    if not number.is_finite():
        raise ValidationError({"amount": [_("Enter a finite amount.")]})
    if number < 0:
        raise ValidationError({"amount": [_("The amount cannot be negative.")]})
    if number >= MAX_AMOUNT:
        raise ValidationError({"amount": [_("The amount is too large.")]})
    return number


def _currency(value) -> str:
    return Money.zero(value).currency


def _close_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError({"expected_close_date": [_("Enter a date.")]})
    return value


def _channel(value) -> str:
    value = value or ""
    if value not in {"", *Deal.SourceChannel.values}:
        raise ValidationError(
            {
                "source_channel": [
                    _("Unknown value. Allowed: %s") % ", ".join(Deal.SourceChannel.values)
                ]
            }
        )
    return value


def _deal_normalizers(actor) -> dict:
    return {
        "title": _text(200),
        "organization": _visible(
            Organization, "organization_id", _("No organisation with this id."), actor
        ),
        "person": _visible(Person, "person_id", _("No person with this id."), actor),
        "owner": _owner,
        "team": _team,
        "amount": _amount,
        "currency": _currency,
        "expected_close_date": _close_date,
        "probability": _percent("probability"),
        "source_channel": _channel,
        "source_campaign": _text(200),
        "referrer": _text(200),
        "lost_reason": _text(500),
    }


def _check_amount(deal: Deal, errors: dict[str, list[str]]) -> None:
    """An amount has no more places than its currency (2 for EUR, 0 for JPY, 3 for KWD)."""
    if "amount" in errors or "currency" in errors:
        return
    places = minor_units(deal.currency)
    amount = Decimal(deal.amount)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        errors.setdefault("amount", []).append(
            _("Amounts in %(currency)s have at most %(places)d decimal places.")
            % {"currency": deal.currency, "places": places}
        )


def _check_customer(deal: Deal, errors: dict[str, list[str]]) -> None:
    """A deal is with an organisation or a person (or both)."""
    message = str(customer_required_message())
    # full_clean reports the database constraint without a field; say it once, on the field.
    general = [m for m in errors.pop(NON_FIELD_ERRORS, []) if m != message]
    if general:
        errors[NON_FIELD_ERRORS] = general
    if (
        deal.organization_id is None
        and deal.person_id is None
        and not {"organization_id", "person_id"} & set(errors)
    ):
        errors.setdefault("organization_id", []).append(message)


def _pipeline_of(value) -> Pipeline:
    if value is None:
        pipeline = Pipeline.objects.filter(is_default=True, archived_at__isnull=True).first()
        if pipeline is None:  # pragma: no cover - the migration creates one; it cannot be archived
            raise ValidationError({"pipeline_id": [_("There is no default pipeline.")]})
        return pipeline
    pipeline = Pipeline.objects.filter(pk=value).first() if _is_id(value) else None
    if pipeline is None:
        raise ValidationError({"pipeline_id": [_("No pipeline with this id.")]})
    if pipeline.archived_at is not None:
        raise ValidationError({"pipeline_id": [_("This pipeline is archived.")]})
    return pipeline


def _stage_of(pipeline: Pipeline, value) -> Stage:
    """Return the stage `value` of `pipeline`; a stage of another pipeline is a field error."""
    stage = Stage.objects.filter(pk=value).first() if _is_id(value) else None
    if stage is None:
        raise ValidationError({"stage_id": [_("No stage with this id.")]})
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError(
            {
                "stage_id": [
                    _("This stage belongs to another pipeline than the deal's (“%(pipeline)s”).")
                    % {"pipeline": pipeline.display_name}
                ]
            }
        )
    if stage.archived_at is not None:
        raise ValidationError({"stage_id": [_("This stage is archived.")]})
    return stage


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stages = _active_stages(pipeline)
    return next((s for s in stages if not s.is_closed), stages[0])


def _target(deal: Deal, fields: dict) -> tuple[Pipeline, Stage]:
    """Resolve the pipeline and stage a create or update asks for.

    On create, a stage alone implies its pipeline; on update, a stage must be of the deal's
    pipeline unless a new pipeline is given too. A pipeline alone starts in its first open stage.
    """
    creating = deal.pk is None
    if "pipeline" in fields:
        pipeline = _pipeline_of(fields["pipeline"])
    elif creating and "stage" in fields:
        value = fields["stage"]
        stage = Stage.objects.filter(pk=value).first() if _is_id(value) else None
        if stage is None:
            raise ValidationError({"stage_id": [_("No stage with this id.")]})
        pipeline = _pipeline_of(stage.pipeline_id)
    elif creating:
        pipeline = _pipeline_of(None)
    else:
        pipeline = deal.pipeline
    if "stage" in fields:
        return pipeline, _stage_of(pipeline, fields["stage"])
    if not creating and pipeline.pk == deal.pipeline_id:
        return pipeline, deal.stage
    return pipeline, _first_open_stage(pipeline)


def _enter_stage(
    deal: Deal, stage: Stage, *, lost_reason: str | None, keep_probability: bool, now
) -> dict[str, list[str]]:
    """Put the deal into `stage`: probability, won/lost dates, lost reason. Returns errors."""
    was_won, was_lost = deal.won_at is not None, deal.lost_at is not None
    deal.pipeline_id = stage.pipeline_id
    deal.stage = stage
    if not keep_probability:
        deal.probability = stage.probability
    if stage.kind == Stage.Kind.LOST:
        reason = (lost_reason if lost_reason is not None else "").strip()[:500]
        reason = reason or (deal.lost_reason if was_lost else "")
        if not reason:
            return {"lost_reason": [_("Say why the deal was lost.")]}
        deal.lost_reason = reason
        deal.lost_at = deal.lost_at if was_lost else now
        deal.won_at = None
        deal.closed_at = deal.lost_at
    elif stage.kind == Stage.Kind.WON:
        deal.won_at = deal.won_at if was_won else now
        deal.lost_at = None
        deal.lost_reason = ""
        deal.closed_at = deal.won_at
    else:
        deal.won_at = deal.lost_at = deal.closed_at = None
        deal.lost_reason = ""
    return {}


def _finish(deal: Deal) -> None:
    deal.search_text = deal_search_text(
        title=deal.title, source_campaign=deal.source_campaign, referrer=deal.referrer
    )


def _announce_if_won(deal: Deal, was_won: bool) -> None:
    """Tell subscribers (the value engine) about a newly won deal once the write has committed."""
    if deal.won_at is None or was_won:
        return
    payload: dict[str, Any] = {
        "deal_id": deal.pk,
        "organization_id": deal.organization_id,
        "person_id": deal.person_id,
        "amount": Decimal(deal.amount),
        "currency": deal.currency,
        "won_at": deal.won_at,
    }
    transaction.on_commit(lambda: deal_won.send(sender=Deal, **payload))


def _record_change(deal: Deal, from_stage_id: int | None, *, actor, now) -> None:
    DealStageChange.objects.create(
        deal=deal,
        from_stage_id=from_stage_id,
        to_stage=deal.stage,
        changed_at=now,
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _deal_snapshot(deal: Deal) -> dict:
    values = snapshot(deal, DEAL_AUDIT_FIELDS)
    # The column keeps four places; the trail shows the amount as the currency writes it, so
    # "100.00" sent again is no change.
    places = Decimal(1).scaleb(-minor_units(deal.currency))
    values["amount"] = str(Decimal(deal.amount).quantize(places))
    return values


def _validate_deal(actor, deal: Deal, fields: dict, errors: dict[str, list[str]]) -> None:
    """Apply `fields` to the deal, collecting every error into `errors`."""
    try:
        run_validators(deal, fields, _deal_normalizers(actor))
    except ValidationError as exc:
        _merge(errors, _errors_by_id(exc))
    _check_amount(deal, errors)
    _check_customer(deal, errors)


@service
def deal_create(*, actor, data: dict) -> Deal:
    """Create a deal owned by `data["owner_id"]` (default: the actor).

    Without a pipeline, the default one; without a stage, the pipeline's first open stage. The
    probability defaults to the stage's. The linked organisation or person (at least one) must
    be visible to the actor. Records the first stage in the history; a deal created won is
    announced with `deal_won`.
    """
    fields = _rename_ids(data)
    _unknown(fields, DEAL_FIELDS)
    now = timezone.now()
    deal = Deal(owner=actor, team=_default_team(actor))
    target_errors: dict[str, list[str]] = {}
    try:
        deal.pipeline, deal.stage = _target(deal, fields)
    except ValidationError as exc:
        target_errors = _errors_by_id(exc)
    rest = {k: v for k, v in fields.items() if k not in {"pipeline", "stage"}}
    errors: dict[str, list[str]] = {}
    _validate_deal(actor, deal, rest, errors)
    if target_errors:
        # Without a valid stage, full_clean adds "cannot be null": report only the real reason.
        errors.pop("pipeline_id", None)
        errors.pop("stage_id", None)
        errors.update(target_errors)
    if not errors:
        _merge(
            errors,
            _enter_stage(
                deal,
                deal.stage,
                lost_reason=deal.lost_reason,
                keep_probability="probability" in rest,
                now=now,
            ),
        )
    if errors:
        raise ValidationError(errors)
    _finish(deal)
    _require(actor, "edit", deal)
    deal.save()
    _record_change(deal, None, actor=actor, now=now)
    audit_record(
        actor=actor,
        verb=AuditEvent.Verb.CREATE,
        target=deal,
        changes=diff({}, _deal_snapshot(deal)),
    )
    _announce_if_won(deal, was_won=False)
    return deal


def _save_change(actor, deal: Deal, before: dict, *, moved_from: int | None, was_won: bool, now):
    changes = diff(before, _deal_snapshot(deal))
    if changes:
        deal.version += 1
        deal.save()
        if moved_from is not None:
            _record_change(deal, moved_from, actor=actor, now=now)
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=deal, changes=changes)
        _announce_if_won(deal, was_won)
    return deal


@service
def deal_update(*, actor, deal_id: int, data: dict, expected_version: int | None = None) -> Deal:
    """Change the given fields of a deal; refuse a stale version with PreconditionFailed.

    A new `stage_id` or `pipeline_id` moves the deal as `deal_move_stage` does (history,
    probability, won/lost dates); an explicit `probability` in the same call wins over the
    stage's default.
    """
    fields = _rename_ids(data)
    _unknown(fields, DEAL_FIELDS)
    deal = _lock_deal(actor, deal_id)
    _require(actor, "edit", deal)
    check_version(deal, expected_version)
    check_not_archived(deal)
    now = timezone.now()
    before = _deal_snapshot(deal)
    was_won = deal.won_at is not None
    previous_stage = deal.stage_id
    errors: dict[str, list[str]] = {}
    target = None
    if "pipeline" in fields or "stage" in fields:
        try:
            target = _target(deal, fields)
        except ValidationError as exc:
            _merge(errors, _errors_by_id(exc))
    rest = {k: v for k, v in fields.items() if k not in {"pipeline", "stage"}}
    _validate_deal(actor, deal, rest, errors)
    if not errors:
        stage = target[1] if target is not None else deal.stage
        if stage.pk != previous_stage or stage.kind == Stage.Kind.LOST:
            _merge(
                errors,
                _enter_stage(
                    deal,
                    stage,
                    lost_reason=fields.get("lost_reason"),
                    keep_probability="probability" in rest or stage.pk == previous_stage,
                    now=now,
                ),
            )
        else:
            deal.lost_reason = ""  # only a lost deal has a reason
    if errors:
        raise ValidationError(errors)
    _finish(deal)
    _require(actor, "edit", deal)  # the new owner/team must be in reach too
    moved_from = previous_stage if deal.stage_id != previous_stage else None
    return _save_change(actor, deal, before, moved_from=moved_from, was_won=was_won, now=now)


@service
def deal_move_stage(
    *,
    actor,
    deal_id: int,
    stage_id: int,
    lost_reason: str | None = None,
    expected_version: int | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline.

    Sets the probability to the stage's default and the won/lost dates by the stage's kind
    (moving out of won or lost reopens the deal), records the move in the stage history and
    the audit trail, and announces a newly won deal with `deal_won` after commit. A stage of
    another pipeline, an archived stage, or a lost stage without `lost_reason` is a field error;
    moving to the stage the deal is in changes nothing.
    """
    deal = _lock_deal(actor, deal_id)
    _require(actor, "edit", deal)
    check_version(deal, expected_version)
    check_not_archived(deal)
    if lost_reason is not None and not isinstance(lost_reason, str):
        raise ValidationError({"lost_reason": [_("Enter a valid value.")]})
    stage = _stage_of(deal.pipeline, stage_id)
    if stage.pk == deal.stage_id:
        return deal
    now = timezone.now()
    before = _deal_snapshot(deal)
    was_won = deal.won_at is not None
    previous_stage = deal.stage_id
    errors = _enter_stage(deal, stage, lost_reason=lost_reason, keep_probability=False, now=now)
    if errors:
        raise ValidationError(errors)
    return _save_change(actor, deal, before, moved_from=previous_stage, was_won=was_won, now=now)


def _set_archived(*, actor, deal_id: int, archived: bool) -> Deal:
    deal = _lock_deal(actor, deal_id)
    _require(actor, "delete", deal)
    archive_recorded(actor=actor, record=deal, archived=archived)
    return deal


@service
def deal_archive(*, actor, deal_id: int) -> Deal:
    """Archive (soft-delete) a deal; archiving twice is harmless."""
    return _set_archived(actor=actor, deal_id=deal_id, archived=True)


@service
def deal_restore(*, actor, deal_id: int) -> Deal:
    return _set_archived(actor=actor, deal_id=deal_id, archived=False)
