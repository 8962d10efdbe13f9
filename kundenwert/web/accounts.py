"""Account security and personal settings: sign-in throttling, language and time zone.

Sign-in throttling counts the failed sign-ins the audit trail already records (the attempted
user name and the client's IP address), so every server process sees the same counts without a
shared cache. Limits (settings, with these defaults):

- ``LOGIN_FAILURES_PER_USER = 5``: failures for one user name within the window,
- ``LOGIN_FAILURES_PER_IP = 20``: failures from one IP address within the window,
- ``LOGIN_THROTTLE_WINDOW = 900``: the window in seconds (15 minutes).

Once a limit is reached, every further attempt for that user name (or from that address) is
refused with the same message, without checking the password and whether or not the user
exists, until the oldest failure in the window has aged out. The IP address is the one the
audit trail records, from ``kundenwert.core.net.client_ip``: REMOTE_ADDR, or behind a reverse
proxy listed in the ``TRUSTED_PROXIES`` setting the client's address from ``X-Forwarded-For``.
Without that setting every client behind a proxy shares the proxy's address, and the per-IP
limit counts them all together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from kundenwert.audit.selectors import failed_logins_since
from kundenwert.core.net import client_ip
from kundenwert.identity.models import User
from kundenwert.identity.services import user_update_settings


def login_throttled(*, username: str, ip: str | None) -> bool:
    """Tell whether sign-ins for `username` or from `ip` are refused for now."""
    window = dt.timedelta(seconds=getattr(settings, "LOGIN_THROTTLE_WINDOW", 15 * 60))
    by_user, by_ip = failed_logins_since(username=username, ip=ip, since=timezone.now() - window)
    return by_user >= getattr(settings, "LOGIN_FAILURES_PER_USER", 5) or by_ip >= getattr(
        settings, "LOGIN_FAILURES_PER_IP", 20
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing every attempt while its user name or IP is throttled."""

    throttled = False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else None
        if login_throttled(username=username, ip=ip):
            # Neither the password nor the user's existence is looked at: the answer is the
            # same for every user name, so it tells an attacker nothing.
            self.throttled = True
            raise ValidationError(
                _("Too many failed sign-in attempts. Please wait a few minutes and try again."),
                code="throttled",
            )
        return super().clean()


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember `language` in the cookie LocaleMiddleware reads (sessions hold no language)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@functools.cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class SettingsForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=User.Language.choices)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show the service's errors next to the fields they name."""
        for key, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
            self.add_error(key if key in self.fields else None, errors)


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings: language and time zone."""
    user = request.user
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                user_update_settings(actor=user, user_id=user.pk, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                translation.activate(user.language)
                messages.success(request, _("Your settings have been saved."))
                response = redirect("account-settings")
                set_language_cookie(response, user.language)
                return response
    else:
        form = SettingsForm(initial={"language": user.language, "time_zone": user.time_zone})
    status = 400 if form.errors else 200
    return render(request, "web/account/settings.html", {"form": form}, status=status)


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's DE/EN switch: sets the cookie and, when signed in, the user's own setting."""
    response = set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in User.Language.values and language != user.language:
        # A stale stored time zone must not block switching the language for this browser.
        with contextlib.suppress(ValidationError):
            user_update_settings(
                actor=user, user_id=user.pk, language=language, time_zone=user.time_zone
            )
    return response
