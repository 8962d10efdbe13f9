"""The shell's own pages: sign-in, password change, start page, search, tasks, error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundenwert.activities.selectors import recent_activity_for, tasks_for
from kundenwert.activities.services import activity_complete
from kundenwert.contacts.selectors import contacts_search, organizations_created_per_month
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.core.search import MIN_TERM_LENGTH
from kundenwert.identity.signals import password_changed

from .accounts import ThrottledAuthenticationForm, set_language_cookie
from .generic import is_htmx, render_page


class SignInView(auth_views.LoginView):
    """Django's sign-in, switching the interface to the user's own language afterwards."""

    template_name = "web/auth/login.html"
    redirect_authenticated_user = True
    # Refuses attempts while the user name or IP is throttled (see accounts.py).
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            set_language_cookie(response, language)
        return response


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, as in Django 5)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/auth/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The audit trail records that the password changed (never the hash).
        password_changed.send(sender=type(form.user), actor=form.user, user=form.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: open tasks, recent activity on my records, new organisations a month."""
    tasks = tasks_for(viewer=request.user, params={"limit": "10"})
    context = {
        "tasks": tasks.rows,
        "more_tasks": tasks.next_cursor,
        "recent_activity": recent_activity_for(viewer=request.user, limit=10),
        "new_organizations": organizations_created_per_month(viewer=request.user, months=12),
    }
    return render(request, "web/home.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The global search box: organisations and people at once (htmx: instant results)."""
    term = request.GET.get("q", "").strip()
    results: dict[str, list] = {"organizations": [], "people": []}
    errors: list[str] = []
    if len(term) >= MIN_TERM_LENGTH:
        try:
            results = contacts_search(viewer=request.user, params={"q": term, "limit": "8"})
        except ValidationError as exc:
            errors = [m for messages in exc.message_dict.values() for m in messages]
    context = {
        "q": term,
        "organizations": results["organizations"],
        "people": results["people"],
        "errors": errors,
        "too_short": 0 < len(term) < MIN_TERM_LENGTH,
        "min_length": MIN_TERM_LENGTH,
    }
    return render_page(
        request, "web/search.html", context, partial="web/partials/search_results.html"
    )


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task done (htmx: the task's line is swapped in place)."""
    try:
        task = activity_complete(actor=request.user, activity_id=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    if is_htmx(request):
        return render(request, "web/partials/task.html", {"task": task})
    messages.success(request, _("Done: %s") % task.subject)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "home"
    return redirect(target)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/errors/403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/errors/400.html", status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke the page (the database, a context processor) may
    # break it again.
    return HttpResponseServerError(loader.get_template("web/errors/500.html").render())
