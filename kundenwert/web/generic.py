"""One list/detail/form mechanism for every entity, parameterised by an EntityConfig.

The views are thin adapters: they read the request, call a selector or service named by the
config, map domain errors to HTTP (NotFound → 404, PermissionDenied → 403, ValidationError →
the form) and render. An htmx request gets the partial, a normal request the full page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.views import View

from kundenwert.activities.services import activity_create
from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.core.pagination import Page
from kundenwert.org.policies import can

from .forms import ActivityForm, ServiceForm


def is_htmx(request: HttpRequest) -> bool:
    """Tell whether htmx sent the request and wants a fragment, not a page.

    A history restore (Back after htmx changed the address) wants the whole page.
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the full page, or its `partial` when htmx asked for it."""
    name = partial if partial and is_htmx(request) else template
    response = render(request, name, context, status=status)
    # The same URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


@dataclass(frozen=True)
class Column:
    """A list column: what it shows, and the ListSpec sort that orders by it."""

    label: str | Promise
    value: Callable[[dict], Any]
    sort: str | None = None
    link: bool = False


@dataclass(frozen=True)
class FilterField:
    """A filter offered in the filter bar; `name` is an allow-listed ListSpec filter."""

    name: str
    label: str | Promise
    choices: tuple[tuple[str, Any], ...] = ()
    checkbox_value: str = ""  # a checkbox sends this value when ticked


@dataclass(frozen=True)
class Related:
    """A section of a detail page listing linked records."""

    title: str | Promise
    items: list[tuple[str, str, str]]  # (label, url, note)
    empty: str | Promise = ""


@dataclass(frozen=True)
class EntityConfig:
    """Everything the generic views need to know about one entity."""

    name: str  # the permission entity and the URL name prefix, e.g. "organization"
    path: str  # URL segment, e.g. "organizations"
    label: str | Promise
    label_plural: str | Promise
    list_rows: Callable[..., Page]  # (viewer=, params=) → Page of dicts with "id"
    get: Callable[[Any, int], Any]  # (viewer, pk) → record; raises NotFound
    columns: tuple[Column, ...]
    form_class: type[ServiceForm]
    create: Callable[..., Any]  # (actor=, data=) → record
    update: Callable[..., Any]  # (actor=, pk=, data=, expected_version=) → record
    archive: Callable[..., Any]  # (actor=, pk=)
    restore: Callable[..., Any]  # (actor=, pk=)
    details: Callable[[Any], list[tuple[Any, Any]]]  # record → [(label, value)]
    related: Callable[[Any, Any], list[Related]]  # (viewer, record) → sections
    # The record's timeline and the activity_create data key linking a new activity to it;
    # None for entities without one (an activity is itself on its records' timelines).
    timeline: Callable[..., tuple[list, str | None]] | None = None  # (viewer=, pk=, params=)
    activity_link: str | None = None
    filters: tuple[FilterField, ...] = field(default_factory=tuple)
    default_sort: str = "name"
    # Users besides the owner for whom the record counts as their own (e.g. an assignee).
    also_own: Callable[[Any], tuple[int | None, ...]] = lambda record: ()
    # The bulk actions the list offers (see kundenwert.web.bulk.ACTIONS).
    bulk_actions: tuple[str, ...] = ("owner", "team", "add_tag", "remove_tag", "archive")
    search_hint: str | Promise | None = None  # the search box's placeholder
    # The entity's own permission rule, when the owner/team levels alone are not it:
    # (viewer, action, record) → bool.
    may: Callable[[Any, str, Any], bool] | None = None
    # More for the detail page's template: (viewer, record) → context, e.g. the revenue panel.
    extra: Callable[[Any, Any], dict] = lambda viewer, record: {}
    # Further buttons on the detail page: (viewer, record) → [(label, url)].
    actions: Callable[[Any, Any], list[tuple[Any, str]]] = lambda viewer, record: []

    def url_name(self, action: str) -> str:
        return f"{self.name}-{action}"

    def url(self, action: str, pk: int | None = None) -> str:
        return reverse(self.url_name(action), args=[pk] if pk is not None else [])

    def urls(self) -> list:
        """Return the URL patterns serving this entity."""
        item = f"{self.path}/<int:pk>/"
        views = [
            (f"{self.path}/", EntityListView, "list"),
            (f"{self.path}/new/", EntityFormView, "create"),
            (item, EntityDetailView, "detail"),
            (f"{item}edit/", EntityFormView, "edit"),
            (f"{item}archive/", EntityArchiveView, "archive"),
            (f"{item}restore/", EntityRestoreView, "restore"),
        ]
        if self.timeline is not None:
            views += [
                (f"{item}timeline/", TimelineView, "timeline"),
                (f"{item}activities/", ActivityCreateView, "activity"),
            ]
        return [
            path(route, view.as_view(config=self), name=self.url_name(action))
            for route, view, action in views
        ]


class EntityView(LoginRequiredMixin, View):
    """Base of the generic views: knows its config and how to load a visible record."""

    config: EntityConfig | None = None

    @property
    def entity(self) -> EntityConfig:
        assert self.config is not None, "pass config= to as_view()"
        return self.config

    def get_record(self, pk: int):
        """Return the record the user may see, or answer 404 (never telling whether it exists)."""
        try:
            return self.entity.get(self.request.user, pk)
        except NotFound as exc:
            raise Http404(exc.detail) from exc

    def may(self, action: str, record=None) -> bool:
        """Tell whether the user may `action` (edit, delete) the record, or create one."""
        user = self.request.user
        if record is not None and self.entity.may is not None:
            return self.entity.may(user, action, record)
        if record is None:
            return can(user, self.entity.name, action, owner_id=user.pk)
        # Records without an owner (the catalogue) need the level "all".
        return can(
            user,
            self.entity.name,
            action,
            owner_id=getattr(record, "owner_id", None),
            team_id=getattr(record, "team_id", None),
            extra_own_ids=self.entity.also_own(record),
        )

    def require(self, action: str, record=None) -> None:
        if not self.may(action, record):
            raise PermissionDenied(_("You do not have permission to do this."))


# --- list -----------------------------------------------------------------------------------


def _query(params: dict[str, str], **changes: str | None) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _error_list(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        msg if name == NON_FIELD_ERRORS else f"{name}: {msg}"
        for name, msgs in exc.message_dict.items()
        for msg in msgs
    ]


_ID_MARK = 2147483647  # stands for the row's id in the detail URL, replaced per row


def _cell(value: Any) -> str:
    """Return the value as `{{ value }}` in a template shows it: local time, localised, escaped."""
    if type(value) is str:  # most cells: nothing to localise
        return escape(value)
    return conditional_escape(str(formats.localize(template_localtime(value))))


def rows_html(config: EntityConfig, rows: list[dict]) -> SafeString:
    """Return the table rows of a list page.

    Written in Python rather than in a template loop: with 50 rows of 6 cells the template
    engine took 5–9 ms a page, most of a list page's CPU (bench/web_bench.py); this takes
    1.5–3.7 ms and writes the same HTML.
    """
    url_of = config.url("detail", _ID_MARK)
    select = conditional_escape(_("Select"))
    html = []
    for row in rows:
        url = url_of.replace(str(_ID_MARK), str(row["id"]))
        cells = [_cell(column.value(row)) for column in config.columns]
        html.append(
            f'<tr><td class="select"><input type="checkbox" name="ids" value="{int(row["id"])}" '
            f'form="bulk-form" aria-label="{select} {cells[0]}"></td>'
        )
        for column, cell in zip(config.columns, cells, strict=True):
            link = column.link
            html.append(f'<td><a href="{url}">{cell}</a></td>' if link else f"<td>{cell}</td>")
        html.append("</tr>\n")
    return mark_safe("".join(html))  # every value above was escaped by _cell


class EntityListView(EntityView):
    """A sortable, filterable, keyset-paginated list; the filters live in the URL."""

    def get(self, request: HttpRequest) -> HttpResponse:
        config = self.entity
        params = {k: v for k, v in request.GET.items() if v.strip()}
        errors: list[str] = []
        try:
            page = config.list_rows(viewer=request.user, params=params)
        except ValidationError as exc:
            errors = _error_list(exc)
            page = Page(rows=[], next_cursor=None)
        base = {k: v for k, v in params.items() if k != "cursor"}
        current = params.get("sort") or config.default_sort
        headers = []
        for column in config.columns:
            direction = None
            next_sort = column.sort
            if column.sort and current == column.sort:
                direction, next_sort = "ascending", f"-{column.sort}"
            elif column.sort and current == f"-{column.sort}":
                direction = "descending"
            headers.append(
                {
                    "label": column.label,
                    "url": _query(base, sort=next_sort) if column.sort else None,
                    "direction": direction,
                }
            )
        rows = page.rows
        context = {
            "config": config,
            "params": params,
            "headers": headers,
            "rows": rows,
            "rows_html": rows_html(config, rows),
            "errors": errors,
            "filters": config.filters,
            "next_url": _query(params, cursor=page.next_cursor) if page.next_cursor else None,
            "can_create": self.may("edit"),
            "list_query": _query(base) if base else "",  # the export link keeps the filters
            "cursor_page": "cursor" in params,  # rows appended to a list, not a list of their own
        }
        # "More" asks for the next rows only; the filter bar for the whole table.
        partial = "web/entity/_rows.html" if "cursor" in params else "web/entity/_table.html"
        response = render_page(
            request,
            "web/entity/list.html",
            context,
            partial=partial,
            status=400 if errors else 200,
        )
        if is_htmx(request) and "cursor" not in params:
            # Keep the address bar bookmarkable, without the filter form's empty fields.
            response["HX-Push-Url"] = request.path + (_query(params) if params else "")
        return response


# --- detail and timeline ----------------------------------------------------------------------


def _timeline(request: HttpRequest, config: EntityConfig, pk: int, params: dict) -> dict:
    if config.timeline is None:
        return {}
    entries, next_cursor = config.timeline(viewer=request.user, pk=pk, params=params)
    more = None
    if next_cursor:
        more = config.url("timeline", pk) + "?" + urlencode({"cursor": next_cursor})
    return {"entries": entries, "timeline_more": more}


class EntityDetailView(EntityView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_detail(pk, ActivityForm())

    def render_detail(self, pk: int, activity_form: ActivityForm, status: int = 200):
        record = self.get_record(pk)
        config = self.entity
        context = {
            "config": config,
            "record": record,
            "details": config.details(record),
            "extra_actions": config.actions(self.request.user, record),
            **config.extra(self.request.user, record),
            "related": config.related(self.request.user, record),
            "can_edit": record.archived_at is None and self.may("edit", record),
            "can_archive": self.may("delete", record),
            "has_timeline": config.timeline is not None,
            "can_add_activity": config.activity_link is not None
            and can(self.request.user, "activity", "edit", owner_id=self.request.user.pk),
            "activity_form": activity_form,
            "activity_url": config.url("activity", pk) if config.timeline is not None else None,
            **_timeline(self.request, config, pk, {}),
        }
        return render_page(
            self.request,
            "web/entity/detail.html",
            context,
            partial="web/entity/_activity_panel.html",
            status=status,
        )


class TimelineView(EntityView):
    """The next entries of a timeline (the "older entries" button)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        params = {k: v for k, v in request.GET.items() if k == "cursor"}
        try:
            context = _timeline(request, self.entity, pk, params)
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except ValidationError:
            return HttpResponse(_("Invalid cursor."), status=400, content_type="text/plain")
        if is_htmx(request):
            return render_page(request, "web/entity/_timeline_entries.html", context)
        return redirect(self.entity.url("detail", pk))


class ActivityCreateView(EntityDetailView):
    """Add a note, call or task to the record's timeline (htmx: swap the panel in place)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect(self.entity.url("detail", pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        config = self.entity
        self.get_record(pk)
        form = ActivityForm(request.POST)
        if form.is_valid():
            try:
                config_data = {**form.to_data(), config.activity_link: [pk]}
                activity = activity_create(actor=request.user, data=config_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if not is_htmx(request):
                    messages.success(request, _("Saved: %s") % activity.subject)
                    return redirect(config.url("detail", pk))
                return self.render_detail(pk, ActivityForm())
        return self.render_detail(pk, form, status=422)


# --- create, edit, archive, restore -------------------------------------------------------------


class EntityFormView(EntityView):
    """Create (no pk) or edit (pk) a record through the entity's services."""

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        form_class = self.entity.form_class
        user = request.user
        if pk is None:
            self.require("edit")
            return self.render_form(
                form_class(initial=form_class.initial_for_new(user, request.GET), viewer=user), None
            )
        record = self.get_record(pk)
        self.require("edit", record)
        return self.render_form(
            form_class(initial=form_class.initial_from(record), viewer=user), record
        )

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        config = self.entity
        record = self.get_record(pk) if pk is not None else None
        # The service checks again inside its transaction; this refuses before any work.
        self.require("edit", record)
        form = config.form_class(request.POST, viewer=request.user)
        stale: list[tuple[Any, Any]] = []
        status = 422
        if form.is_valid():
            try:
                if record is None:
                    record = config.create(actor=request.user, data=form.to_data())
                else:
                    record = config.update(
                        actor=request.user,
                        pk=pk,
                        data=form.to_data(),
                        expected_version=form.cleaned_data.get("version"),
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PreconditionFailed as exc:
                stale = self.stale_fields(form, pk)
                form.add_error(None, exc.detail)
            except ConflictError as exc:
                form.add_error(None, exc.detail)
            except PermissionDenied as exc:
                # The record was editable (checked above): the new owner or team is out of reach.
                form.add_error(None, exc.detail)
                status = 403
            else:
                messages.success(request, _("Saved: %s") % record)
                return redirect(config.url("detail", record.pk))
        return self.render_form(form, record, stale=stale, status=status)

    def stale_fields(self, form: ServiceForm, pk: int) -> list[tuple[Any, Any]]:
        """Return the saved values that differ from the user's, and arm the form to overwrite."""
        current = self.get_record(pk)
        saved = form.initial_from(current)
        differing = [
            (form.fields[name].label, form.fields[name].prepare_value(saved[name]))
            for name in form.fields
            if name != "version" and name in saved and saved[name] != form.cleaned_data.get(name)
        ]
        # Submitting again now knowingly replaces the other person's change.
        form.data = form.data.copy()
        form.data["version"] = str(current.version)
        return differing

    def render_form(self, form, record, *, stale=None, status: int = 200) -> HttpResponse:
        config = self.entity
        context = {
            "config": config,
            "form": form,
            "record": record,
            "stale": stale or [],
            "cancel_url": config.url("detail", record.pk) if record else config.url("list"),
        }
        return render_page(
            self.request,
            "web/entity/form.html",
            context,
            partial="web/entity/_form.html",
            status=status,
        )


class EntityArchiveView(EntityView):
    """Ask for confirmation (GET), then archive (POST)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = self.get_record(pk)
        self.require("delete", record)
        context = {"config": self.entity, "record": record}
        return render_page(request, "web/entity/archive.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = self.get_record(pk)
        self.entity.archive(actor=request.user, pk=pk)
        messages.success(request, _("Archived: %s") % record)
        return redirect(self.entity.url("list"))


class EntityRestoreView(EntityView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = self.get_record(pk)
        self.entity.restore(actor=request.user, pk=pk)
        messages.success(request, _("Restored: %s") % record)
        return redirect(self.entity.url("detail", pk))
