"""REST resources of the sales pipeline: pipelines with their stages, deals and stage moves.

Amounts are JSON strings ("1234.50"), in the deal's currency with its number of places; a JSON
number is refused with a 422, so no amount ever passes through a binary float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Schema
from pydantic import BeforeValidator, Field, StrictBool, StrictInt, WithJsonSchema

from kundenwert.core.errors import NotFound
from kundenwert.core.money import Money
from kundenwert.sales import selectors as sales_selectors
from kundenwert.sales import services as sales_services
from kundenwert.sales.models import Deal

from . import schemas as s
from .auth import reader, writer
from .common import expected_version, json, page_response, query_params
from .routers import IF_MATCH_HELP, MAX_ID, ListQuery, responses

pipelines = Router(tags=["pipelines"])
deals = Router(tags=["deals"])


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


def _if_match():
    return Header(None, alias="If-Match", description=IF_MATCH_HELP)


# --- schemas -----------------------------------------------------------------------------------

AMOUNT_PATTERN = r"^\d{1,14}(\.\d{1,4})?$"


def _amount_as_text(value):
    """Accept an amount only as a string: a JSON number may already have lost its exactness."""
    if not isinstance(value, str | Decimal):
        raise ValueError('Send the amount as a string, e.g. "1234.50".')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_as_text),
    Field(ge=0, max_digits=18, decimal_places=4, allow_inf_nan=False),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "examples": ["1234.50"],
            "description": "Decimal string; at most as many places as the currency has",
        }
    ),
]
AmountOut = Annotated[
    str, Field(description="Decimal string with the currency's places", examples=["1234.50"])
]
Currency = Annotated[
    str, Field(min_length=3, max_length=3, description="ISO 4217 code", examples=["EUR"])
]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]
StageKind = Literal["open", "won", "lost"]
DealStatus = Literal["open", "won", "lost"]
SourceChannel = Literal[
    "", "web", "referral", "event", "outbound", "inbound_call", "partner", "advertising", "other"
]
Position = Annotated[StrictInt, Field(ge=0, le=10_000)]


class StageOut(Schema):
    id: int
    pipeline_id: int
    name: str = Field(description="As stored (English for the shipped stages)")
    display_name: str = Field(description="In the request's language")
    position: int
    probability: int = Field(description="Default probability of deals entering the stage (%)")
    kind: StageKind
    archived_at: dt.datetime | None
    version: int


class PipelineOut(Schema):
    id: int
    name: str
    display_name: str
    position: int
    is_default: bool
    stages: list[StageOut] = Field(description="Active stages in board order")
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class PipelineList(Schema):
    items: list[PipelineOut]
    next_cursor: str | None


class StageIn(s.Strict):
    name: s.Text(100, 1)
    probability: Percent = 0
    kind: StageKind = "open"


class StageCreate(StageIn):
    position: Position | None = Field(
        None, description="Default: before the first won/lost stage (open) or at the end"
    )


class StagePatch(s.Strict):
    name: s.Text(100, 1) | None = None
    probability: Percent | None = None
    kind: StageKind | None = None
    position: Position | None = None


class StageOrder(s.Strict):
    stage_ids: list[s.Id] = Field(..., max_length=30, description="Every active stage, in order")


class PipelineIn(s.Strict):
    name: s.Text(100, 1)
    position: Position | None = None
    is_default: StrictBool = False
    stages: list[StageIn] | None = Field(
        None,
        min_length=3,
        max_length=30,
        description="At least one open, one won and one lost stage; default: the preset stages",
    )


class PipelinePatch(s.Strict):
    name: s.Text(100, 1) | None = None
    position: Position | None = None
    is_default: StrictBool | None = Field(
        None, description="true makes this the default pipeline (false is refused)"
    )


class DealOut(Schema):
    id: int
    title: str
    organization_id: int | None
    person_id: int | None
    owner_id: int
    team_id: int | None
    amount: AmountOut
    currency: str
    weighted_amount: AmountOut = Field(description="amount × probability / 100, rounded")
    expected_close_date: dt.date | None
    pipeline_id: int
    stage_id: int
    status: DealStatus
    probability: int
    source_channel: SourceChannel
    source_campaign: str
    referrer: str
    lost_reason: str
    won_at: dt.datetime | None
    lost_at: dt.datetime | None
    closed_at: dt.datetime | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class DealList(Schema):
    items: list[DealOut]
    next_cursor: str | None


class DealIn(s.Strict):
    title: s.Text(200, 1)
    organization_id: s.Id | None = Field(None, description="Organisation and/or person required")
    person_id: s.Id | None = None
    owner_id: s.Id | None = Field(None, description="Defaults to the acting user")
    team_id: s.Id | None = None
    amount: Amount = Decimal(0)
    currency: Currency = "EUR"
    expected_close_date: dt.date | None = None
    pipeline_id: s.Id | None = Field(None, description="Default: the default pipeline")
    stage_id: s.Id | None = Field(None, description="Default: the pipeline's first open stage")
    probability: Percent | None = Field(None, description="Default: the stage's probability")
    source_channel: SourceChannel = ""
    source_campaign: s.Text(200) = ""
    referrer: s.Text(200) = ""
    lost_reason: s.Text(500) = Field("", description="Required when created in a lost stage")


class DealPatch(s.Strict):
    title: s.Text(200, 1) | None = None
    organization_id: s.Id | None = None
    person_id: s.Id | None = None
    owner_id: s.Id | None = None
    team_id: s.Id | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    expected_close_date: dt.date | None = None
    pipeline_id: s.Id | None = Field(None, description="Moves the deal to another pipeline")
    stage_id: s.Id | None = Field(None, description="Moves the deal, as POST …/move does")
    probability: Percent | None = None
    source_channel: SourceChannel | None = None
    source_campaign: s.Text(200) | None = None
    referrer: s.Text(200) | None = None
    lost_reason: s.Text(500) | None = None


class MoveIn(s.Strict):
    stage_id: s.Id = Field(..., description="A stage of the deal's pipeline")
    lost_reason: s.Text(500) | None = Field(None, description="Required for a lost stage")


class StageSpellOut(Schema):
    stage_id: int
    stage_name: str
    from_stage_id: int | None
    entered_at: dt.datetime
    left_at: dt.datetime | None = Field(description="null: the deal is still in this stage")
    seconds_in_stage: int
    changed_by_id: int | None


class DealHistory(Schema):
    items: list[StageSpellOut]


class DealCard(Schema):
    id: int
    title: str
    organization_id: int | None
    organization_name: str
    person_id: int | None
    person_name: str
    owner_id: int
    amount: AmountOut
    currency: str
    probability: int
    expected_close_date: dt.date | None
    version: int


class CurrencyTotalOut(Schema):
    currency: str
    count: int
    amount: AmountOut
    weighted: AmountOut = Field(description="Σ amount × probability / 100, rounded once")


class BoardColumnOut(Schema):
    stage: StageOut
    count: int = Field(description="All deals of the column; `deals` holds the first 50")
    totals: list[CurrencyTotalOut] = Field(description="One entry per currency")
    deals: list[DealCard]


class BoardOut(Schema):
    pipeline_id: int
    pipeline_name: str
    closed_since: dt.date = Field(description="Won/lost columns show deals closed since then")
    columns: list[BoardColumnOut]


class PipelineQuery(ListQuery):
    sort: str | None = Field(None, description="position (default), -position, name, -name")
    archived: bool | None = Field(None, description="true: archived only; default: active only")


class DealQuery(ListQuery):
    q: str | None = Field(None, description="Search titles, campaigns, referrers (≥ 2 chars)")
    sort: str | None = Field(
        None,
        description="close (default), -close, amount, -amount, updated, -updated, title, "
        "-title, created, -created",
    )
    pipeline: int | None = Field(None, ge=1, le=MAX_ID)
    stage: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    status: str | None = Field(None, description="open, won, lost; comma-separated")
    organization: int | None = Field(None, ge=1, le=MAX_ID)
    person: int | None = Field(None, ge=1, le=MAX_ID)
    expected_close_before: dt.date | None = None
    expected_close_after: dt.date | None = None
    updated_since: str | None = Field(None, description="ISO 8601 date or date-time")
    archived: bool | None = Field(None, description="true: archived only; default: active only")


class BoardQuery(Schema):
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    closed_since: dt.date | None = Field(None, description="Default: 30 days ago")


# --- presenters ------------------------------------------------------------------------------

DEAL_COLUMNS = (
    "id", "title", "organization_id", "person_id", "owner_id", "team_id", "amount", "currency",
    "expected_close_date", "pipeline_id", "stage_id", "probability", "source_channel",
    "source_campaign", "referrer", "lost_reason", "won_at", "lost_at", "closed_at",
    "archived_at", "created_at", "updated_at", "version",
)  # fmt: skip


def _money_text(amount, currency: str) -> str:
    """Write an amount rounded commercially to exactly the currency's places."""
    return str(Money(Decimal(amount), currency).quantize().amount)


def _status(row: dict) -> str:
    if row["won_at"] is not None:
        return "won"
    return "lost" if row["lost_at"] is not None else "open"


def deal_row(row: dict) -> dict:
    """Shape a `deal_list(values=DEAL_COLUMNS)` row (or a deal's fields) as DealOut."""
    amount = Decimal(row["amount"])
    return {
        **row,
        "amount": _money_text(amount, row["currency"]),
        "weighted_amount": _money_text(amount * row["probability"] / 100, row["currency"]),
        "status": _status(row),
    }


def deal_dict(deal: Deal) -> dict:
    return deal_row({c: getattr(deal, c) for c in DEAL_COLUMNS})


def stage_dict(stage) -> dict:
    return {
        "id": stage.pk,
        "pipeline_id": stage.pipeline_id,
        "name": stage.name,
        "display_name": stage.display_name,
        "position": stage.position,
        "probability": stage.probability,
        "kind": stage.kind,
        "archived_at": stage.archived_at,
        "version": stage.version,
    }


def pipeline_dict(pipeline) -> dict:
    return {
        "id": pipeline.pk,
        "name": pipeline.name,
        "display_name": pipeline.display_name,
        "position": pipeline.position,
        "is_default": pipeline.is_default,
        "stages": [stage_dict(st) for st in pipeline.stage_list if st.archived_at is None],
        "archived_at": pipeline.archived_at,
        "created_at": pipeline.created_at,
        "updated_at": pipeline.updated_at,
        "version": pipeline.version,
    }


def _card(deal: Deal) -> dict:
    return {
        "id": deal.pk,
        "title": deal.title,
        "organization_id": deal.organization_id,
        "organization_name": str(deal.organization) if deal.organization_id else "",
        "person_id": deal.person_id,
        "person_name": str(deal.person) if deal.person_id else "",
        "owner_id": deal.owner_id,
        "amount": _money_text(deal.amount, deal.currency),
        "currency": deal.currency,
        "probability": deal.probability,
        "expected_close_date": deal.expected_close_date,
        "version": deal.version,
    }


def board_dict(board) -> dict:
    return {
        "pipeline_id": board.pipeline.pk,
        "pipeline_name": board.pipeline.display_name,
        "closed_since": board.closed_since,
        "columns": [
            {
                "stage": stage_dict(column.stage),
                "count": column.count,
                "totals": [
                    {
                        "currency": t.currency,
                        "count": t.count,
                        "amount": _money_text(t.amount, t.currency),
                        "weighted": _money_text(t.weighted, t.currency),
                    }
                    for t in column.totals
                ],
                "deals": [_card(d) for d in column.deals],
            }
            for column in board.columns
        ],
    }


def _pipeline_response(viewer, pipeline_id: int, status: int = 200):
    pipeline = sales_selectors.pipeline_get(viewer=viewer, pipeline_id=pipeline_id)
    return json(pipeline_dict(pipeline), status=status, etag=pipeline.etag)


def _deal_response(viewer, deal_id: int, status: int = 200):
    deal = sales_selectors.deal_get(viewer=viewer, deal_id=deal_id)
    return json(deal_dict(deal), status=status, etag=deal.etag)


# --- pipelines and stages ----------------------------------------------------------------------


@pipelines.get("", response=responses({200: PipelineList}), summary="List pipelines")
def list_pipelines(request, filters: Query[PipelineQuery]):
    page = sales_selectors.pipeline_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [pipeline_dict(p) for p in page.rows])


@pipelines.post(
    "",
    response=responses({201: PipelineOut}),
    summary="Create a pipeline with its stages (administrators)",
)
def create_pipeline(request, payload: PipelineIn):
    actor = writer(request)
    data = payload.dict(exclude_unset=True)
    if data.get("position") is None:
        data.pop("position", None)
    if data.get("stages") is None:
        data.pop("stages", None)
    pipeline = sales_services.pipeline_create(actor=actor, data=data)
    return _pipeline_response(actor, pipeline.pk, status=201)


@pipelines.get(
    "/{pipeline_id}", response=responses({200: PipelineOut}), summary="A pipeline with its stages"
)
def get_pipeline(request, pipeline_id: int = _id("pipeline id")):
    return _pipeline_response(reader(request), pipeline_id)


@pipelines.patch(
    "/{pipeline_id}",
    response=responses({200: PipelineOut}),
    summary="Rename, reorder or make a pipeline the default (administrators)",
)
def update_pipeline(
    request,
    payload: PipelinePatch,
    pipeline_id: int = _id("pipeline id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    sales_selectors.pipeline_get(viewer=actor, pipeline_id=pipeline_id)
    sales_services.pipeline_update(
        actor=actor,
        pipeline_id=pipeline_id,
        data={k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None},
        expected_version=expected_version(request, pipeline_id),
    )
    return _pipeline_response(actor, pipeline_id)


@pipelines.delete(
    "/{pipeline_id}",
    response=responses({200: PipelineOut}),
    summary="Archive a pipeline without open deals (administrators)",
)
def archive_pipeline(request, pipeline_id: int = _id("pipeline id")):
    actor = writer(request)
    sales_selectors.pipeline_get(viewer=actor, pipeline_id=pipeline_id)
    sales_services.pipeline_archive(actor=actor, pipeline_id=pipeline_id)
    return _pipeline_response(actor, pipeline_id)


@pipelines.post(
    "/{pipeline_id}/restore",
    response=responses({200: PipelineOut}),
    summary="Restore an archived pipeline (administrators)",
)
def restore_pipeline(request, pipeline_id: int = _id("pipeline id")):
    actor = writer(request)
    sales_selectors.pipeline_get(viewer=actor, pipeline_id=pipeline_id)
    sales_services.pipeline_restore(actor=actor, pipeline_id=pipeline_id)
    return _pipeline_response(actor, pipeline_id)


@pipelines.get(
    "/{pipeline_id}/board",
    response=responses({200: BoardOut}),
    summary="The Kanban board: per stage the first deals, counts and totals per currency",
)
def get_board(request, filters: Query[BoardQuery], pipeline_id: int = _id("pipeline id")):
    result = sales_selectors.board(
        viewer=reader(request), pipeline_id=pipeline_id, params=query_params(request)
    )
    return json(board_dict(result))


def _stage_of(viewer, pipeline_id: int, stage_id: int):
    """Return the stage if it belongs to the pipeline in the path; 404 otherwise."""
    pipeline = sales_selectors.pipeline_get(
        viewer=viewer, pipeline_id=pipeline_id, archived_stages=True
    )
    stage = next((st for st in pipeline.stage_list if st.pk == stage_id), None)
    if stage is None:
        raise NotFound(_("Stage not found."))
    return stage


@pipelines.post(
    "/{pipeline_id}/stages",
    response=responses({201: StageOut}),
    summary="Add a stage (administrators)",
)
def create_stage(request, payload: StageCreate, pipeline_id: int = _id("pipeline id")):
    actor = writer(request)
    sales_selectors.pipeline_get(viewer=actor, pipeline_id=pipeline_id)
    data = payload.dict(exclude_unset=True)
    if data.get("position") is None:
        data.pop("position", None)
    stage = sales_services.stage_create(actor=actor, pipeline_id=pipeline_id, data=data)
    return json(stage_dict(_stage_of(actor, pipeline_id, stage.pk)), status=201, etag=stage.etag)


@pipelines.patch(
    "/{pipeline_id}/stages/{stage_id}",
    response=responses({200: StageOut}),
    summary="Change a stage (administrators)",
)
def update_stage(
    request,
    payload: StagePatch,
    pipeline_id: int = _id("pipeline id"),
    stage_id: int = _id("stage id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    _stage_of(actor, pipeline_id, stage_id)
    stage = sales_services.stage_update(
        actor=actor,
        stage_id=stage_id,
        data={k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None},
        expected_version=expected_version(request, stage_id),
    )
    return json(stage_dict(stage), etag=stage.etag)


@pipelines.delete(
    "/{pipeline_id}/stages/{stage_id}",
    response=responses({200: StageOut}),
    summary="Archive a stage without deals (administrators)",
)
def archive_stage(request, pipeline_id: int = _id("pipeline id"), stage_id: int = _id("stage id")):
    actor = writer(request)
    _stage_of(actor, pipeline_id, stage_id)
    stage = sales_services.stage_archive(actor=actor, stage_id=stage_id)
    return json(stage_dict(stage), etag=stage.etag)


@pipelines.put(
    "/{pipeline_id}/stage-order",
    response=responses({200: PipelineOut}),
    summary="Put the stages in a new order (administrators)",
)
def reorder_stages(request, payload: StageOrder, pipeline_id: int = _id("pipeline id")):
    actor = writer(request)
    sales_selectors.pipeline_get(viewer=actor, pipeline_id=pipeline_id)
    sales_services.stage_reorder(actor=actor, pipeline_id=pipeline_id, stage_ids=payload.stage_ids)
    return _pipeline_response(actor, pipeline_id)


# --- deals -------------------------------------------------------------------------------------


@deals.get("", response=responses({200: DealList}), summary="List deals")
def list_deals(request, filters: Query[DealQuery]):
    page = sales_selectors.deal_list(
        viewer=reader(request), params=query_params(request), values=DEAL_COLUMNS
    )
    return page_response(page, [deal_row(r) for r in page.rows])


@deals.post("", response=responses({201: DealOut}), summary="Create a deal")
def create_deal(request, payload: DealIn):
    actor = writer(request)
    data = payload.dict(exclude_unset=True)
    for optional in ("pipeline_id", "stage_id", "probability"):
        if optional in data and data[optional] is None:
            del data[optional]
    deal = sales_services.deal_create(actor=actor, data=data)
    return _deal_response(actor, deal.pk, status=201)


@deals.get("/{deal_id}", response=responses({200: DealOut}), summary="A deal")
def get_deal(request, deal_id: int = _id("deal id")):
    return _deal_response(reader(request), deal_id)


@deals.patch("/{deal_id}", response=responses({200: DealOut}), summary="Change a deal")
def update_deal(
    request,
    payload: DealPatch,
    deal_id: int = _id("deal id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    sales_selectors.deal_get(viewer=actor, deal_id=deal_id)
    data = payload.dict(exclude_unset=True)
    for required in ("title", "amount", "currency", "probability", "pipeline_id", "stage_id"):
        if required in data and data[required] is None:
            del data[required]  # null means "leave as is" for a field that cannot be empty
    sales_services.deal_update(
        actor=actor,
        deal_id=deal_id,
        data=data,
        expected_version=expected_version(request, deal_id),
    )
    return _deal_response(actor, deal_id)


@deals.delete("/{deal_id}", response=responses({200: DealOut}), summary="Archive a deal")
def archive_deal(request, deal_id: int = _id("deal id")):
    actor = writer(request)
    deal = sales_services.deal_archive(actor=actor, deal_id=deal_id)
    return _deal_response(actor, deal.pk)


@deals.post("/{deal_id}/restore", response=responses({200: DealOut}), summary="Restore a deal")
def restore_deal(request, deal_id: int = _id("deal id")):
    actor = writer(request)
    deal = sales_services.deal_restore(actor=actor, deal_id=deal_id)
    return _deal_response(actor, deal.pk)


@deals.post(
    "/{deal_id}/move",
    response=responses({200: DealOut}),
    summary="Move a deal to another stage of its pipeline",
    description="The probability becomes the stage's default; a lost stage needs "
    "`lost_reason`; a stage of another pipeline is a 422; an archived deal a 409.",
)
def move_deal(
    request,
    payload: MoveIn,
    deal_id: int = _id("deal id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    sales_selectors.deal_get(viewer=actor, deal_id=deal_id)
    sales_services.deal_move_stage(
        actor=actor,
        deal_id=deal_id,
        stage_id=payload.stage_id,
        lost_reason=payload.lost_reason,
        expected_version=expected_version(request, deal_id),
    )
    return _deal_response(actor, deal_id)


@deals.get(
    "/{deal_id}/history",
    response=responses({200: DealHistory}),
    summary="The stages a deal went through, with the time spent in each",
)
def deal_history(request, deal_id: int = _id("deal id")):
    spells = sales_selectors.deal_stage_history(viewer=reader(request), deal_id=deal_id)
    return json(
        {
            "items": [
                {
                    "stage_id": spell.stage.pk,
                    "stage_name": spell.stage.display_name,
                    "from_stage_id": spell.from_stage.pk if spell.from_stage else None,
                    "entered_at": spell.entered_at,
                    "left_at": spell.left_at,
                    "seconds_in_stage": int(spell.duration.total_seconds()),
                    "changed_by_id": spell.changed_by_id,
                }
                for spell in spells
            ]
        }
    )
