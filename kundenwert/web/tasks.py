"""The "my tasks" page: today, overdue and upcoming tasks; complete and reschedule in place."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kundenwert.activities.selectors import activity_get, task_when, tasks_for
from kundenwert.activities.services import activity_update
from kundenwert.core.errors import ConflictError, NotFound, ValidationError
from kundenwert.core.pagination import Page

from .generic import is_htmx

SECTIONS = (
    ("today", gettext_lazy("Today")),
    ("overdue", gettext_lazy("Overdue")),
    ("upcoming", gettext_lazy("Upcoming")),
)
SECTION_LIMIT = "20"


class RescheduleForm(forms.Form):
    """A new due date and time, read in the user's own time zone."""

    # Django makes the value aware in the active time zone and rejects times that do not
    # exist there (the hour skipped when clocks go forward).
    due_at = forms.DateTimeField(
        label=gettext_lazy("New due date"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _start_of_today() -> dt.datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _section(viewer, key: str, cursor: str | None) -> Page:
    """Return one page of a section; overdue leaves out today's tasks (today lists them)."""
    params = {"due": key, "limit": SECTION_LIMIT}
    if cursor:
        params["cursor"] = cursor
    page = tasks_for(viewer=viewer, params=params)
    if key == "overdue":
        start = _start_of_today()
        # Overdue rows all have a date (due, else start); a task without one is upcoming.
        rows = [task for task in page.rows if task_when(task) < start]
        # Rows come by that date: once one is due today, all later ones are too.
        if len(rows) < len(page.rows):
            page = Page(rows=rows, next_cursor=None)
    return page


def _row(request: HttpRequest, task, form: RescheduleForm | None = None, status: int = 200):
    return render(request, "web/tasks/row.html", {"task": task, "form": form}, status=status)


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Show the user's open tasks in three sections (htmx "more": the next rows of one)."""
    wanted = request.GET.get("section", "")
    cursor = request.GET.get("cursor") or None
    keys = [key for key, _label in SECTIONS]
    if wanted and wanted not in keys:
        raise Http404
    try:
        if wanted and is_htmx(request):
            page = _section(request.user, wanted, cursor)
            context = {"section": {"key": wanted, "page": page}}
            return render(request, "web/tasks/rows.html", context)
        sections = [
            {
                "key": key,
                "label": label,
                "page": _section(request.user, key, cursor if key == wanted else None),
            }
            for key, label in SECTIONS
        ]
    except ValidationError as exc:  # a tampered cursor
        raise Http404 from exc
    return render(request, "web/tasks/list.html", {"sections": sections})


@login_required
@require_POST
def task_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a task's due date (htmx: the task's row is swapped in place)."""
    try:
        task = activity_get(viewer=request.user, activity_id=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            task = activity_update(
                actor=request.user, activity_id=pk, data={"due_at": form.cleaned_data["due_at"]}
            )
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except ConflictError as exc:  # archived meanwhile (in another tab)
            form.add_error("due_at", exc.detail)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error("due_at" if field not in form.fields else field, error)
    if not form.is_valid():
        if is_htmx(request):
            return _row(request, task, form, status=422)
        return render(
            request, "web/tasks/reschedule.html", {"task": task, "form": form}, status=422
        )
    if is_htmx(request):
        return _row(request, task)
    messages.success(
        request,
        _("Rescheduled: %(subject)s") % {"subject": task.subject},
    )
    return redirect("task-list")
