"""Read use cases for pipelines, deals, the Kanban board and a deal's stage history.

Deals start from `Deal.objects.visible_to(viewer)`; pipelines and stages are configuration,
readable by everyone who may read deals at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.core.listing import (
    Filter,
    ListSpec,
    parse_bool,
    parse_int,
    parse_when,
    run_list,
    sorts,
)
from kundenwert.core.money import minor_units
from kundenwert.core.pagination import Page

from .models import AMOUNT_DIGITS, AMOUNT_PLACES, Deal, DealStageChange, Pipeline, Stage
from .policies import may_read_pipelines

# The cards a board column shows at most; its count and totals cover all its deals.
BOARD_COLUMN_LIMIT = 50
# Won and lost columns show the deals closed in this many days (unless `closed_since` says).
BOARD_CLOSED_DAYS = 30


def _int_filter(lookup: str, name: str):
    return lambda value: Q(**{lookup: parse_int(value, name)})


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("Enter a date as YYYY-MM-DD.")]}) from None


def _status(value: str) -> Q:
    options = {
        "open": Q(closed_at__isnull=True),
        "won": Q(won_at__isnull=False),
        "lost": Q(lost_at__isnull=False),
    }
    wanted = [v for v in value.split(",") if v]
    if not wanted or set(wanted) - set(options):
        raise ValidationError({"status": [_("Unknown value. Allowed: %s") % "open, won, lost"]})
    q = Q(pk__in=[])
    for name in wanted:
        q |= options[name]
    return q


# --- pipelines -----------------------------------------------------------------------------


PIPELINE_LIST = ListSpec(
    filters={
        "archived": Filter(
            lambda v: Q(archived_at__isnull=not parse_bool(v, "archived")),
            "true: archived only; false (default): active only",
        ),
    },
    sorts=sorts(("position", ["position"]), ("name", ["name"])),
    default_sort="position",
    searchable=False,
)


def pipelines_visible_to(viewer) -> QuerySet[Pipeline]:
    """Every pipeline for a viewer who may read deals; none for anyone else."""
    qs = Pipeline.objects.all()
    return qs if may_read_pipelines(viewer) else qs.none()


def _with_stages(qs: QuerySet[Pipeline], *, archived_stages: bool = False) -> QuerySet[Pipeline]:
    stages = Stage.objects.order_by("position", "id")
    if not archived_stages:
        stages = stages.filter(archived_at__isnull=True)
    return qs.prefetch_related(Prefetch("stages", queryset=stages, to_attr="stage_list"))


def pipeline_list(*, viewer, params: dict[str, str]) -> Page:
    """Return one page of pipelines, each with its active stages in `stage_list` (two queries)."""
    qs = pipelines_visible_to(viewer)
    if "archived" not in params:
        qs = qs.filter(archived_at__isnull=True)
    page = run_list(qs, PIPELINE_LIST, params=params)
    stages = Stage.objects.filter(archived_at__isnull=True).order_by("position", "id")
    prefetch_related_objects(page.rows, Prefetch("stages", queryset=stages, to_attr="stage_list"))
    return page


def pipeline_get(*, viewer, pipeline_id: int, archived_stages: bool = False) -> Pipeline:
    """Return the pipeline with its stages in `stage_list`, or raise NotFound."""
    pipeline = (
        _with_stages(pipelines_visible_to(viewer), archived_stages=archived_stages)
        .filter(pk=pipeline_id)
        .first()
    )
    if pipeline is None:
        raise NotFound(_("Pipeline not found."))
    return pipeline


def pipeline_default(*, viewer) -> Pipeline:
    """Return the default pipeline (else the first active one) with its stages."""
    qs = _with_stages(pipelines_visible_to(viewer).filter(archived_at__isnull=True))
    pipeline = qs.filter(is_default=True).first() or qs.order_by("position", "id").first()
    if pipeline is None:
        raise NotFound(_("Pipeline not found."))
    return pipeline


def pipeline_choices(*, viewer) -> list[Pipeline]:
    """Return the active pipelines, in order, for a picker."""
    return list(pipelines_visible_to(viewer).filter(archived_at__isnull=True))


# --- deals ---------------------------------------------------------------------------------


DEAL_LIST = ListSpec(
    filters={
        "pipeline": Filter(_int_filter("pipeline_id", "pipeline"), "pipeline id"),
        "stage": Filter(_int_filter("stage_id", "stage"), "stage id"),
        "owner": Filter(_int_filter("owner_id", "owner"), "owner's user id"),
        "team": Filter(_int_filter("team_id", "team"), "team id"),
        "status": Filter(_status, "open, won, lost (comma-separated)"),
        "organization": Filter(_int_filter("organization_id", "organization"), "organisation id"),
        "person": Filter(_int_filter("person_id", "person"), "person id"),
        "expected_close_before": Filter(
            lambda v: Q(expected_close_date__lt=_date(v, "expected_close_before")),
            "YYYY-MM-DD: expected to close before this day",
        ),
        "expected_close_after": Filter(
            lambda v: Q(expected_close_date__gt=_date(v, "expected_close_after")),
            "YYYY-MM-DD: expected to close after this day",
        ),
        "updated_since": Filter(
            lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
        ),
        "archived": Filter(
            lambda v: Q(archived_at__isnull=not parse_bool(v, "archived")),
            "true: archived only; false (default): active only",
        ),
    },
    sorts=sorts(
        ("close", ["expected_close_date"]),
        ("amount", ["amount"]),
        ("updated", ["updated_at"]),
        ("title", ["title"]),
        ("created", ["created_at"]),
    ),
    default_sort="close",
)


def deals_visible_to(viewer) -> QuerySet[Deal]:
    return Deal.objects.visible_to(viewer)


def deal_list(*, viewer, params: dict[str, str], values: tuple[str, ...] | None = None) -> Page:
    """Return one page of the deals `viewer` may see, filtered and sorted by allow-listed params.

    Deals without an expected close date come first when sorting by close date. With `values`,
    rows are dicts of those columns (relations may be followed: `organization__name`), in one
    query; otherwise Deal objects with their organisation, person, stage and owner loaded.
    """
    qs = deals_visible_to(viewer)
    if "archived" not in params:
        qs = qs.filter(archived_at__isnull=True)
    if values is None:
        qs = qs.select_related("organization", "person", "stage", "pipeline", "owner")
    return run_list(qs, DEAL_LIST, params=params, values=values)


def deal_get(*, viewer, deal_id: int) -> Deal:
    """Return the deal, or raise NotFound if it does not exist or is hidden from the viewer."""
    deal = (
        deals_visible_to(viewer)
        .select_related("organization", "person", "stage", "pipeline", "owner", "team")
        .filter(pk=deal_id)
        .first()
    )
    if deal is None:
        raise NotFound(_("Deal not found."))
    return deal


@dataclass(frozen=True)
class StageSpell:
    """A stretch of time a deal spent in one stage (`left_at` None: it is still there)."""

    stage: Stage
    from_stage: Stage | None
    entered_at: dt.datetime
    left_at: dt.datetime | None
    changed_by_id: int | None
    changed_by_name: str

    @property
    def duration(self) -> dt.timedelta:
        return (self.left_at or timezone.now()) - self.entered_at


def deal_stage_history(*, viewer, deal_id: int) -> list[StageSpell]:
    """Return the stages the deal went through, oldest first, with the time spent in each."""
    deal = deal_get(viewer=viewer, deal_id=deal_id)
    changes = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "changed_by")
        .order_by("changed_at", "id")
    )
    spells = []
    for index, change in enumerate(changes):
        after = changes[index + 1] if index + 1 < len(changes) else None
        user = change.changed_by
        spells.append(
            StageSpell(
                stage=change.to_stage,
                from_stage=change.from_stage,
                entered_at=change.changed_at,
                left_at=after.changed_at if after else None,
                changed_by_id=change.changed_by_id,
                changed_by_name=(user.get_full_name() or user.get_username()) if user else "",
            )
        )
    return spells


# --- the board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrencyTotal:
    """The sum of a column's deals in one currency, and the sum weighted by probability."""

    currency: str
    count: int
    amount: Decimal
    weighted: Decimal


@dataclass
class BoardColumn:
    stage: Stage
    deals: list[Deal] = field(default_factory=list)
    count: int = 0
    totals: list[CurrencyTotal] = field(default_factory=list)

    @property
    def more(self) -> int:
        """How many of the column's deals are not shown as cards."""
        return self.count - len(self.deals)


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]
    closed_since: dt.date


BOARD_PARAMS = frozenset({"owner", "team", "closed_since"})


def _round(value: Decimal, currency: str) -> Decimal:
    """Round half away from zero to the currency's minor units (commercial rounding)."""
    places = minor_units(currency)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _board_filters(params: dict[str, str]) -> tuple[Q, dt.date]:
    unknown = sorted(set(params) - BOARD_PARAMS)
    errors: dict[str, list[str]] = {
        name: [_("Unknown parameter. Allowed: %s") % ", ".join(sorted(BOARD_PARAMS))]
        for name in unknown
    }
    q = Q(archived_at__isnull=True)
    closed_since = timezone.localdate() - dt.timedelta(days=BOARD_CLOSED_DAYS)
    for name, lookup in (("owner", "owner_id"), ("team", "team_id")):
        if name in params:
            try:
                q &= Q(**{lookup: parse_int(params[name], name)})
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "closed_since" in params:
        try:
            closed_since = _date(params["closed_since"], "closed_since")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return q, closed_since


def board(*, viewer, pipeline_id: int | None, params: dict[str, str] | None = None) -> Board:
    """Return the Kanban board of a pipeline (None: the default one): a column per active stage.

    Each column holds the viewer's visible, non-archived deals of its stage — in won and lost
    columns only those closed since `closed_since` (default: the last 30 days) — as at most
    `BOARD_COLUMN_LIMIT` cards by expected close date, with the count of all of them and, per
    currency, their total and weighted total (amount × probability / 100, rounded
    commercially once per column). Amounts in different currencies are never added up.

    Four queries whatever the number of deals: the pipeline, its stages, the cards (a window
    function picks the first ones of each column) and one grouped aggregate for the totals.
    `params`: owner, team (ids), closed_since (YYYY-MM-DD).
    """
    if pipeline_id is None:
        pipeline = pipeline_default(viewer=viewer)
    else:
        pipeline = pipeline_get(viewer=viewer, pipeline_id=pipeline_id)
    condition, closed_since = _board_filters(params or {})
    since = timezone.make_aware(dt.datetime.combine(closed_since, dt.time.min))
    deals = (
        deals_visible_to(viewer)
        .filter(condition, pipeline=pipeline)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
    )
    order = [F("expected_close_date").asc(nulls_last=True), F("id").asc()]
    cards = (
        deals.annotate(
            column_rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=order)
        )
        .filter(column_rank__lte=BOARD_COLUMN_LIMIT)
        .select_related("organization", "person")
        .order_by("stage_id", *order)
    )
    weighted = ExpressionWrapper(
        F("amount") * F("probability"),
        output_field=DecimalField(max_digits=AMOUNT_DIGITS + 3, decimal_places=AMOUNT_PLACES),
    )
    sums = (
        deals.order_by()
        .values("stage_id", "currency")
        .annotate(n=Count("id"), amount_sum=Sum("amount"), weighted_sum=Sum(weighted))
        .order_by("stage_id", "currency")
    )
    columns = {stage.pk: BoardColumn(stage=stage) for stage in pipeline.stage_list}
    for deal in cards:
        if deal.stage_id in columns:
            columns[deal.stage_id].deals.append(deal)
    for row in sums:
        column = columns.get(row["stage_id"])
        if column is None:  # an archived stage still holding deals: not on the board
            continue
        currency = row["currency"]
        column.count += row["n"]
        column.totals.append(
            CurrencyTotal(
                currency=currency,
                count=row["n"],
                amount=_round(Decimal(row["amount_sum"] or 0), currency),
                weighted=_round(Decimal(row["weighted_sum"] or 0) / 100, currency),
            )
        )
    return Board(pipeline=pipeline, columns=list(columns.values()), closed_since=closed_since)
