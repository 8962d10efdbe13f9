"""Web pages of the sales pipeline: the Kanban board per pipeline, and moving a deal on it.

Thin views over kundenwert.sales: the board comes from `board()`, every move goes through
`deal_move_stage()`. Moving works without JavaScript (each card has a "move to" form; the page
reloads), and with it (deals.js: drag and drop, or the same forms, sent with fetch). A request
from the script (HX-Request: true) gets the board fragment back — for a refused move too, with
the reason shown and the deals unchanged — so the script only swaps the board.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.org.policies import can
from kundenwert.sales.models import Deal, Stage
from kundenwert.sales.selectors import board, deal_get, pipeline_choices
from kundenwert.sales.services import deal_move_stage

from .generic import is_htmx


@dataclass(frozen=True)
class Card:
    """A deal as the board shows it: may the user move it, and where its own page is."""

    deal: Deal
    editable: bool
    url: str | None


@dataclass(frozen=True)
class Asking:
    """A move into a lost stage that waits for its reason (the card shows a small form)."""

    deal_id: int
    stage: Stage
    reason: str
    error: str


def _detail_url(deal_id: int) -> str | None:
    # The deal pages come through the generic entity views; link to them once they exist.
    try:
        return reverse("deal-detail", args=[deal_id])
    except NoReverseMatch:
        return None


def _board_context(request: HttpRequest, pipeline_id: int | None, params: dict) -> dict:
    user = request.user
    try:
        result = board(viewer=user, pipeline_id=pipeline_id, params=params)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except ValidationError as exc:  # a hand-edited query string
        raise Http404(_("Unknown board filter.")) from exc
    columns = [
        {
            "column": column,
            "cards": [
                Card(
                    deal=deal,
                    editable=can(
                        user, "deal", "edit", owner_id=deal.owner_id, team_id=deal.team_id
                    ),
                    url=_detail_url(deal.pk),
                )
                for deal in column.deals
            ],
        }
        for column in result.columns
    ]
    return {
        "board": result,
        "pipeline": result.pipeline,
        "columns": columns,
        "stages": [c.stage for c in result.columns],
        "pipelines": pipeline_choices(viewer=user),
        "only_mine": params.get("owner") == str(user.pk),
        "board_url": reverse("deal-board-pipeline", args=[result.pipeline.pk]),
    }


def _render_board(
    request: HttpRequest,
    pipeline_id: int | None,
    *,
    params: dict | None = None,
    status: int = 200,
    error: str = "",
    notice: str = "",
    asking: Asking | None = None,
) -> HttpResponse:
    context = {
        **_board_context(request, pipeline_id, params or {}),
        "error": error,
        "notice": notice,
        "asking": asking,
    }
    template = "web/deals/_board.html" if is_htmx(request) else "web/deals/board.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@login_required
@require_GET
def board_page(request: HttpRequest, pipeline_id: int | None = None) -> HttpResponse:
    """Show a pipeline's board (the default pipeline's without an id); "only mine" filters."""
    params = {"owner": str(request.user.pk)} if request.GET.get("mine") == "1" else {}
    return _render_board(request, pipeline_id, params=params)


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to the stage in `stage_id` (with `lost_reason` for a lost stage).

    Success: the board again (a fragment for the script, a redirect otherwise). Refused: the
    board unchanged with the reason — 403 not allowed, 404 not visible, 409 archived, 412
    changed meanwhile, 422 invalid; a lost stage without a reason asks for it on the card.
    """
    shown = _int(request.POST.get("board"))
    stage_id = _int(request.POST.get("stage_id"))
    version = _int(request.POST.get("version"))
    reason = request.POST.get("lost_reason")
    try:
        deal = deal_get(viewer=request.user, deal_id=pk)
    except NotFound as exc:
        if not is_htmx(request):
            raise Http404(exc.detail) from exc
        return _render_board(request, shown, status=404, error=exc.detail)
    pipeline_id = deal.pipeline_id
    try:
        moved = deal_move_stage(
            actor=request.user,
            deal_id=pk,
            stage_id=stage_id,
            lost_reason=reason,
            expected_version=version,
        )
    except PermissionDenied as exc:
        return _render_board(request, pipeline_id, status=403, error=exc.detail)
    except NotFound as exc:  # hidden meanwhile
        return _render_board(request, pipeline_id, status=404, error=exc.detail)
    except (ConflictError, PreconditionFailed) as exc:
        return _render_board(request, pipeline_id, status=exc.status, error=exc.detail)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {}
        target = Stage.objects.filter(pk=stage_id, pipeline_id=pipeline_id).first()
        if set(errors) == {"lost_reason"} and target is not None:
            asking = Asking(
                deal_id=deal.pk,
                stage=target,
                reason=(reason or "").strip(),
                error=" ".join(errors["lost_reason"]),
            )
            return _render_board(
                request,
                pipeline_id,
                status=422,
                error=_("Say why “%(title)s” was lost to move it to %(stage)s.")
                % {"title": deal.title, "stage": target.display_name},
                asking=asking,
            )
        return _render_board(request, pipeline_id, status=422, error=_first_message(exc))
    notice = _("Moved “%(title)s” to %(stage)s.") % {
        "title": moved.title,
        "stage": moved.stage.display_name,
    }
    if is_htmx(request):
        return _render_board(request, moved.pipeline_id, notice=notice)
    messages.success(request, notice)
    return redirect("deal-board-pipeline", pipeline_id=moved.pipeline_id)


urlpatterns = [
    path("deals/board/", board_page, name="deal-board"),
    path("deals/board/<int:pipeline_id>/", board_page, name="deal-board-pipeline"),
    path("deals/<int:pk>/move/", deal_move, name="deal-move"),
]
