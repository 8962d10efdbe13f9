"""Web pages of leads beyond the generic views: conversion, and the public inquiry form.

The inquiry form (/inquiry/) needs no sign-in and speaks the visitor's language. It is a
normal Django form with its CSRF token; against robots it adds, without a CAPTCHA service:

- a spam trap: a field hidden from people and from screen readers; a robot that fills it gets
  the thank-you page and nothing is stored,
- a minimum fill time: a signed timestamp from when the form was shown; a form sent back
  within ``LEAD_FORM_MIN_SECONDS`` (default 3) seconds, or with a missing, forged or day-old
  stamp, is shown again with a request to check and resend it,
- the per-IP rate limit and the field checks of `lead_submit_public` (429 and 422).

The conversion page (/leads/<id>/convert/) shows the lead, the existing organisations and
people it may belong to (choose one or create new ones) and the deal to create, and converts
through `lead_convert` — all or nothing.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kundenwert.core.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)
from kundenwert.core.money import DEFAULT_CURRENCY
from kundenwert.core.net import client_ip
from kundenwert.sales.leads import (
    HONEYPOT_FIELD,
    LeadCandidates,
    RateLimited,
    lead_candidates,
    lead_convert,
    lead_get,
    lead_may,
    lead_submit_public,
)
from kundenwert.sales.models import LEAD_MESSAGE_MAX, Lead
from kundenwert.sales.selectors import pipeline_choices

from .forms import AmountField

INQUIRY_SALT = "kundenwert.web.lead-inquiry"
# A stamp older than this is stale: the page was left open too long (or copied by a robot).
INQUIRY_MAX_AGE = 24 * 60 * 60


# --- the public inquiry form -------------------------------------------------------------------


def inquiry_stamp(started: float | None = None) -> str:
    """Return the signed time the form was shown (`started`, default now) for its hidden field."""
    return signing.dumps(round(time.time() if started is None else started, 3), salt=INQUIRY_SALT)


def seconds_since_shown(stamp: str) -> float | None:
    """Return how long ago the form with this stamp was shown; None if forged or too old."""
    try:
        started = signing.loads(stamp or "", salt=INQUIRY_SALT, max_age=INQUIRY_MAX_AGE)
    except signing.BadSignature:
        return None
    if isinstance(started, bool) or not isinstance(started, int | float):
        return None
    return time.time() - started


class InquiryForm(forms.Form):
    """What a visitor tells us; the service checks the meaning (email, phone, lengths)."""

    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.CharField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    company = forms.CharField(
        label=gettext_lazy("Company (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone number (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    message = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=LEAD_MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    # The campaign the visitor came from: /inquiry/?utm_campaign=spring (or ?campaign=).
    campaign = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def add_service_errors(self, exc: ValidationError) -> None:
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        )
        for key, messages_ in errors.items():
            self.add_error(key if key in self.fields else None, messages_)


def _with_stamp(form: InquiryForm, stamp: str) -> InquiryForm:
    data = form.data.copy()
    data["started"] = stamp
    form.data = data
    return form


@never_cache
@require_http_methods(["GET", "POST"])
def inquiry(request: HttpRequest) -> HttpResponse:
    """Show the public inquiry form, and store what a visitor sends as a lead."""
    if request.method != "POST":
        campaign = request.GET.get("utm_campaign") or request.GET.get("campaign") or ""
        form = InquiryForm(initial={"started": inquiry_stamp(), "campaign": campaign[:200]})
        return render(request, "web/leads/inquiry.html", {"form": form, "trap": HONEYPOT_FIELD})
    form = InquiryForm(request.POST)
    if (request.POST.get(HONEYPOT_FIELD) or "").strip():
        return redirect("lead-inquiry-thanks")  # a robot: it learns nothing
    status = 422
    if form.is_valid():
        age = seconds_since_shown(form.cleaned_data["started"])
        if age is None:
            form = _with_stamp(form, inquiry_stamp())
            form.add_error(
                None, _("The form has expired. Please check your entries and send it again.")
            )
        elif age < getattr(settings, "LEAD_FORM_MIN_SECONDS", 3):
            form.add_error(
                None, _("That was quick! Please check your entries and send the form again.")
            )
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k != "started"}
            try:
                lead_submit_public(
                    data=data, ip=client_ip(request), language=translation.get_language() or ""
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except RateLimited as exc:
                form.add_error(None, exc.detail)
                status = exc.status
            else:
                return redirect("lead-inquiry-thanks")
    elif seconds_since_shown(request.POST.get("started", "")) is None:
        form = _with_stamp(form, inquiry_stamp())
    return render(
        request, "web/leads/inquiry.html", {"form": form, "trap": HONEYPOT_FIELD}, status=status
    )


@require_GET
def inquiry_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "web/leads/inquiry_thanks.html")


# --- the conversion page -----------------------------------------------------------------------

REASON_LABELS = {
    "email": gettext_lazy("same email address"),
    "phone": gettext_lazy("same phone number"),
    "domain": gettext_lazy("same email domain"),
    "name": gettext_lazy("similar name"),
}
# Service error keys → the form's fields (the rest is shown above the form).
ERROR_FIELDS = {
    "organization_id": "organization",
    "person_id": "person",
    "deal.title": "deal_title",
    "deal.amount": "deal_amount",
    "deal.currency": "deal_currency",
    "deal.stage_id": "deal_stage",
    "deal.pipeline_id": "deal_stage",
    "deal.expected_close_date": "deal_expected_close_date",
}


def _reasons(reasons) -> str:
    return ", ".join(str(REASON_LABELS.get(r, r)) for r in reasons)


class ConvertForm(forms.Form):
    """Which organisation and person the lead becomes, and the deal to open for it."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    organization = forms.ChoiceField(
        label=gettext_lazy("Organisation"), widget=forms.RadioSelect, choices=()
    )
    person = forms.ChoiceField(
        label=gettext_lazy("Contact person"), widget=forms.RadioSelect, choices=()
    )
    create_deal = forms.BooleanField(label=gettext_lazy("Create a deal"), required=False)
    deal_title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    deal_amount = AmountField(
        label=gettext_lazy("Amount"),
        min_value=0,
        max_digits=18,
        decimal_places=4,
        required=False,
    )
    deal_currency = forms.CharField(
        label=gettext_lazy("Currency (ISO code, e.g. EUR)"), max_length=3, required=False
    )
    deal_stage = forms.TypedChoiceField(
        label=gettext_lazy("Stage"), coerce=int, required=False, choices=()
    )
    deal_expected_close_date = forms.DateField(
        label=gettext_lazy("Expected close"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args: Any, lead: Lead, candidates: LeadCandidates, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        org_choices = []
        if lead.company:
            org_choices.append(
                ("new", _("Create a new organisation “%(name)s”") % {"name": lead.company})
            )
        for candidate in candidates.organizations:
            org_choices.append(
                (
                    str(candidate.record.pk),
                    _("Use “%(name)s” (%(reasons)s)")
                    % {"name": candidate.record, "reasons": _reasons(candidate.reasons)},
                )
            )
        org_choices.append(("none", _("No organisation")))
        self.fields["organization"].choices = org_choices
        person_choices = [("new", _("Create a new person “%(name)s”") % {"name": lead.name})]
        for candidate in candidates.people:
            person_choices.append(
                (
                    str(candidate.record.pk),
                    _("Use “%(name)s” (%(reasons)s)")
                    % {"name": candidate.record, "reasons": _reasons(candidate.reasons)},
                )
            )
        self.fields["person"].choices = person_choices
        self.stage_pipeline: dict[int, int] = {}
        groups = []
        for pipeline in pipeline_choices(viewer=viewer):
            options = []
            for stage in pipeline.stages.filter(archived_at__isnull=True).order_by(
                "position", "id"
            ):
                self.stage_pipeline[stage.pk] = pipeline.pk
                options.append((stage.pk, stage.display_name))
            groups.append((pipeline.display_name, options))
        self.fields["deal_stage"].choices = groups

    @property
    def choice_fields(self) -> list[forms.BoundField]:
        return [self["organization"], self["person"]]

    @property
    def deal_fields(self) -> list[forms.BoundField]:
        names = ("deal_title", "deal_amount", "deal_currency", "deal_stage")
        return [self[name] for name in (*names, "deal_expected_close_date")]

    @staticmethod
    def initial_for(lead: Lead, candidates: LeadCandidates) -> dict[str, Any]:
        """Preselect a strong match (same email domain, same email address), else new records."""
        org = next((c for c in candidates.organizations if "domain" in c.reasons), None)
        person = next((c for c in candidates.people if "email" in c.reasons), None)
        return {
            "version": lead.version,
            "organization": str(org.record.pk) if org else ("new" if lead.company else "none"),
            "person": str(person.record.pk) if person else "new",
            "create_deal": True,
            "deal_title": lead.company or lead.name,
            "deal_currency": DEFAULT_CURRENCY,
        }

    def service_args(self) -> dict[str, Any]:
        """Return the keyword arguments of `lead_convert` (without actor and lead)."""
        data = self.cleaned_data
        organization, person = data["organization"], data["person"]
        deal: dict[str, Any] = {}
        if data["deal_title"]:
            deal["title"] = data["deal_title"]
        if data["deal_amount"] is not None:
            deal["amount"] = data["deal_amount"]
        if data["deal_currency"]:
            deal["currency"] = data["deal_currency"].upper()
        if data["deal_stage"] is not None:
            deal["stage_id"] = data["deal_stage"]
            deal["pipeline_id"] = self.stage_pipeline.get(data["deal_stage"])
        if data["deal_expected_close_date"] is not None:
            deal["expected_close_date"] = data["deal_expected_close_date"]
        return {
            "organization_id": int(organization) if organization.isdigit() else None,
            "create_organization": organization == "new",
            "person_id": int(person) if person.isdigit() else None,
            "create_deal": data["create_deal"],
            "deal_data": deal if data["create_deal"] else None,
            "expected_version": data["version"],
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        )
        for key, messages_ in errors.items():
            name = ERROR_FIELDS.get(key)
            self.add_error(name if name in self.fields else None, messages_)


def _url(name: str, pk: int) -> str | None:
    # The lead pages come through the generic entity views; link to them once they exist.
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def _customer_url(lead: Lead) -> str:
    if lead.converted_organization_id:
        return reverse("organization-detail", args=[lead.converted_organization_id])
    return reverse("person-detail", args=[lead.converted_person_id])


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Convert a lead: choose or create its organisation and person, and open a deal.

    Success redirects to the organisation (the person without one). Refused: 404 not visible,
    403 not allowed, 409 converted or disqualified meanwhile, 412 changed meanwhile, 422
    invalid — the page again with the reason, nothing created.
    """
    user = request.user
    try:
        lead = lead_get(viewer=user, lead_id=pk)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    context: dict[str, Any] = {
        "lead": lead,
        "lead_url": _url("lead-detail", lead.pk),
        "list_url": _list_url(),
    }
    if lead.status == Lead.Status.CONVERTED:
        context["customer_url"] = _customer_url(lead)
        return render(request, "web/leads/convert.html", context)
    if not lead_may(user, "edit", lead):
        raise PermissionDenied(_("You may not change this lead."))
    candidates = lead_candidates(viewer=user, lead=lead)
    status = 200
    if request.method == "POST":
        form = ConvertForm(request.POST, lead=lead, candidates=candidates, viewer=user)
        status = 422
        if form.is_valid():
            try:
                converted = lead_convert(actor=user, lead_id=lead.pk, **form.service_args())
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                form.add_error(None, exc.detail)
                status = 403
            except (ConflictError, PreconditionFailed) as exc:
                form.add_error(None, exc.detail)
                status = exc.status
            else:
                messages.success(
                    request, _("Lead “%(name)s” converted.") % {"name": converted.name}
                )
                return redirect(_customer_url(converted))
    else:
        form = ConvertForm(
            initial=ConvertForm.initial_for(lead, candidates),
            lead=lead,
            candidates=candidates,
            viewer=user,
        )
    context.update({"form": form, "candidates": candidates})
    return render(request, "web/leads/convert.html", context, status=status)


def _list_url() -> str | None:
    try:
        return reverse("lead-list")
    except NoReverseMatch:
        return None


urlpatterns = [
    path("inquiry/", inquiry, name="lead-inquiry"),
    path("inquiry/thanks/", inquiry_thanks, name="lead-inquiry-thanks"),
    path("leads/<int:pk>/convert/", lead_convert_page, name="lead-convert"),
]
