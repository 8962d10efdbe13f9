"""REST resources of leads: unqualified inquiries, their qualification and conversion.

`POST /leads/public` is the public web form's endpoint, for a form embedded on the company's
website: no authentication and no session (so no CSRF token), JSON or form-encoded. Browsers
may call it from the site's own origin and from the origins listed in the setting
``LEAD_FORM_ORIGINS`` (e.g. ``["https://www.example.com"]``; default: none); a request from any
other origin is refused with 403 and stores nothing. The spam trap, the per-IP rate limit and
the size limits are those of `kundenwert.sales.leads.lead_submit_public`.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
from typing import Literal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Schema
from pydantic import Field, StrictBool

from kundenwert.core.errors import ValidationError
from kundenwert.core.net import client_ip
from kundenwert.sales import leads as lead_use_cases
from kundenwert.sales.models import LEAD_MESSAGE_MAX, Lead

from . import schemas as s
from .auth import reader, writer
from .common import expected_version, json, page_response, query_params
from .errors import problem
from .routers import IF_MATCH_HELP, MAX_ID, ListQuery, responses
from .sales import Amount, Currency, Percent, SourceChannel

leads = Router(tags=["leads"])

# The largest public-form body read at all (a full message in JSON escapes fits easily).
MAX_PUBLIC_BODY = 64 * 1024
PREFLIGHT_MAX_AGE = 600


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


def _if_match():
    return Header(None, alias="If-Match", description=IF_MATCH_HELP)


# --- schemas -----------------------------------------------------------------------------------

LeadStatus = Literal["new", "qualified", "disqualified", "converted"]
Language = Literal["", "de", "en"]
Reason = Literal["email", "phone", "domain", "name"]


class LeadOut(Schema):
    id: int
    name: str = Field(description="The person's name")
    email: str
    company: str
    phone: str = Field(description="E.164, e.g. +4930123456")
    source_channel: SourceChannel
    source_campaign: str
    message: str = Field(description="As sent: plain text, never HTML")
    language: Language
    status: LeadStatus
    disqualify_reason: str
    owner_id: int | None = Field(description="null: in the intake pool")
    team_id: int | None
    converted_organization_id: int | None
    converted_person_id: int | None
    converted_deal_id: int | None
    converted_at: dt.datetime | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class LeadList(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadIn(s.Strict):
    name: s.Text(200, 1)
    email: s.Text(254) = ""
    company: s.Text(200) = ""
    phone: s.Text(50) = ""
    source_channel: SourceChannel = ""
    source_campaign: s.Text(200) = ""
    message: s.Text(LEAD_MESSAGE_MAX) = ""
    language: Language = ""
    owner_id: s.Id | None = Field(
        None, description="Default: the acting user; null: the intake pool (no owner)"
    )
    team_id: s.Id | None = Field(None, description="Default: the acting user's only team")


class LeadPatch(s.Strict):
    name: s.Text(200, 1) | None = None
    email: s.Text(254) | None = None
    company: s.Text(200) | None = None
    phone: s.Text(50) | None = None
    source_channel: SourceChannel | None = None
    source_campaign: s.Text(200) | None = None
    message: s.Text(LEAD_MESSAGE_MAX) | None = None
    language: Language | None = None
    owner_id: s.Id | None = Field(None, description="null: back to the intake pool")
    team_id: s.Id | None = None


class DisqualifyIn(s.Strict):
    reason: s.Text(500, 1)


class ConvertDealIn(s.Strict):
    title: s.Text(200, 1) | None = Field(None, description="Default: the company, else the name")
    amount: Amount | None = None
    currency: Currency | None = None
    pipeline_id: s.Id | None = Field(None, description="Default: the default pipeline")
    stage_id: s.Id | None = Field(None, description="Default: the pipeline's first open stage")
    probability: Percent | None = None
    expected_close_date: dt.date | None = None
    owner_id: s.Id | None = Field(None, description="Default: the acting user")
    team_id: s.Id | None = None
    referrer: s.Text(200) | None = None


class ConvertIn(s.Strict):
    organization_id: s.Id | None = Field(
        None, description="Reuse this organisation (see …/candidates) instead of creating one"
    )
    person_id: s.Id | None = Field(None, description="Reuse this person instead of creating one")
    create_organization: StrictBool = Field(
        True, description="Without organization_id: create one from the lead's company"
    )
    create_deal: StrictBool = True
    deal: ConvertDealIn | None = None


class OrganizationCandidate(Schema):
    id: int
    name: str
    domain: str
    reasons: list[Reason]


class PersonCandidate(Schema):
    id: int
    name: str
    emails: list[str]
    phones: list[str]
    reasons: list[Reason]


class CandidatesOut(Schema):
    organizations: list[OrganizationCandidate]
    people: list[PersonCandidate]


class LeadQuery(ListQuery):
    q: str | None = Field(None, description="Search names, emails, companies, phones (≥ 2 chars)")
    sort: str | None = Field(
        None, description="-created (default), created, updated, -updated, name, -name"
    )
    status: str | None = Field(
        None, description="new, qualified, disqualified, converted; comma-separated"
    )
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    unassigned: bool | None = Field(None, description="true: only the intake pool (no owner)")
    source_channel: str | None = Field(None, description="Comma-separated channels")
    updated_since: str | None = Field(None, description="ISO 8601 date or date-time")
    archived: bool | None = Field(None, description="true: archived only; default: active only")


class PublicLeadIn(Schema):
    """The public form: JSON or form-encoded; other fields are ignored."""

    name: str = Field(..., min_length=1, max_length=200)
    email: str = Field(..., min_length=1, max_length=254)
    company: str = Field("", max_length=200)
    phone: str = Field("", max_length=50)
    message: str = Field("", max_length=LEAD_MESSAGE_MAX)
    campaign: str = Field("", max_length=200, description="e.g. the utm_campaign of the page")
    website_url: str = Field(
        "",
        description="Spam trap: keep it in the form, hidden from people, and leave it empty",
    )


class PublicAccepted(Schema):
    detail: str


# --- presenters ------------------------------------------------------------------------------

LEAD_COLUMNS = (
    "id", "name", "email", "company", "phone", "source_channel", "source_campaign", "message",
    "language", "status", "disqualify_reason", "owner_id", "team_id",
    "converted_organization_id", "converted_person_id", "converted_deal_id", "converted_at",
    "archived_at", "created_at", "updated_at", "version",
)  # fmt: skip


def lead_dict(lead: Lead) -> dict:
    return {column: getattr(lead, column) for column in LEAD_COLUMNS}


def _lead_response(viewer, lead_id: int, status: int = 200):
    lead = lead_use_cases.lead_get(viewer=viewer, lead_id=lead_id)
    return json(lead_dict(lead), status=status, etag=lead.etag)


def _candidates_dict(found) -> dict:
    return {
        "organizations": [
            {
                "id": c.record.pk,
                "name": str(c.record),
                "domain": c.record.domain,
                "reasons": list(c.reasons),
            }
            for c in found.organizations
        ],
        "people": [
            {
                "id": c.record.pk,
                "name": str(c.record),
                "emails": c.record.emails,
                "phones": c.record.phones,
                "reasons": list(c.reasons),
            }
            for c in found.people
        ],
    }


# --- the public form -------------------------------------------------------------------------


def _normal_origin(value: str) -> str:
    return value.strip().rstrip("/").lower()


def _cross_origin(request: HttpRequest) -> tuple[bool, str | None]:
    """Tell whether the request's origin may use the form, and the origin to allow by CORS.

    Without an Origin header (a server, curl) or from the site itself: allowed, no CORS header
    needed. From an origin in LEAD_FORM_ORIGINS: allowed, and that origin is named. Otherwise
    refused.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True, None
    normal = _normal_origin(origin)
    if normal == _normal_origin(f"{request.scheme}://{request.get_host()}"):
        return True, None
    allowed = {_normal_origin(o) for o in getattr(settings, "LEAD_FORM_ORIGINS", ()) or ()}
    if normal in allowed:
        return True, origin.strip()
    return False, None


def _with_cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    response["Vary"] = "Origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    return response


class _Unsupported(Exception):
    pass


def _public_body(request: HttpRequest) -> dict:
    """Read the form as a dict of strings (form-encoded) or JSON values (JSON)."""
    if request.content_type == "application/json":
        try:
            data = jsonlib.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ValidationError({NON_FIELD_ERRORS: [_("Send a JSON object.")]}) from None
        if not isinstance(data, dict):
            raise ValidationError({NON_FIELD_ERRORS: [_("Send a JSON object.")]})
        return data
    if request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return dict(request.POST.items())
    raise _Unsupported


def _too_big(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > MAX_PUBLIC_BODY or len(request.body) > MAX_PUBLIC_BODY


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {key: [str(m) for m in messages] for key, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


PUBLIC_RESPONSES = {
    202: PublicAccepted,
    400: s.Problem,
    403: s.Problem,
    413: s.Problem,
    415: s.Problem,
    422: s.Problem,
    429: s.Problem,
}
_PUBLIC_SCHEMA = PublicLeadIn.model_json_schema()
_PUBLIC_SCHEMA.pop("title", None)


@leads.post(
    "/public",
    auth=None,
    response=PUBLIC_RESPONSES,
    summary="Send an inquiry from the public web form (no authentication)",
    description=(
        "For a form on the company's website, as JSON or form-encoded. A browser may call it "
        "from the site itself or from an origin in the setting LEAD_FORM_ORIGINS (others get "
        "403). A filled spam trap `website_url` is answered like a success and stores nothing; "
        "more than LEAD_FORM_MAX_PER_IP (5) inquiries per address in LEAD_FORM_WINDOW (600 s) "
        "get 429; bad values 422 with field messages. Nothing is stored unless the answer is "
        "202."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _PUBLIC_SCHEMA},
                "application/x-www-form-urlencoded": {"schema": _PUBLIC_SCHEMA},
            },
        }
    },
)
def submit_public(request):
    allowed, origin = _cross_origin(request)
    if not allowed:
        return _with_cors(
            problem(403, "origin_not_allowed", _("This website may not send inquiries here.")),
            None,
        )
    try:
        if _too_big(request):
            return _with_cors(
                problem(413, "too_large", _("The request body is too large.")), origin
            )
        data = _public_body(request)
        lead_use_cases.lead_submit_public(
            data=data, ip=client_ip(request), language=translation.get_language() or ""
        )
    except _Unsupported:
        response = problem(415, "unsupported_media_type", _("Send JSON or a form-encoded body."))
    except MultiPartParserError:
        response = problem(400, "invalid", _("The request body could not be read."))
    except ValidationError as exc:
        response = problem(422, "invalid", _("The request has invalid values."), _field_errors(exc))
    except lead_use_cases.RateLimited as exc:
        response = problem(exc.status, exc.code, exc.detail)
        response["Retry-After"] = str(getattr(settings, "LEAD_FORM_WINDOW", 600))
    else:
        # The same answer for a stored lead and a trapped robot: it learns nothing.
        response = json({"detail": _("Thank you. We will get back to you soon.")}, status=202)
    return _with_cors(response, origin)


@leads.api_operation(
    ["OPTIONS"],
    "/public",
    auth=None,
    response={204: None, 403: s.Problem},
    summary="CORS preflight of the public web form",
)
def preflight_public(request):
    allowed, origin = _cross_origin(request)
    if not allowed:
        return _with_cors(
            problem(403, "origin_not_allowed", _("This website may not send inquiries here.")),
            None,
        )
    response = HttpResponse(status=204)
    if origin:
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return _with_cors(response, origin)


# --- leads -------------------------------------------------------------------------------------


@leads.get("", response=responses({200: LeadList}), summary="List leads")
def list_leads(request, filters: Query[LeadQuery]):
    page = lead_use_cases.lead_list(
        viewer=reader(request), params=query_params(request), values=LEAD_COLUMNS
    )
    return page_response(page, list(page.rows))


@leads.post("", response=responses({201: LeadOut}), summary="Record a lead")
def create_lead(request, payload: LeadIn):
    actor = writer(request)
    lead = lead_use_cases.lead_create(actor=actor, data=payload.dict(exclude_unset=True))
    return _lead_response(actor, lead.pk, status=201)


@leads.get("/{lead_id}", response=responses({200: LeadOut}), summary="A lead")
def get_lead(request, lead_id: int = _id("lead id")):
    return _lead_response(reader(request), lead_id)


@leads.patch(
    "/{lead_id}",
    response=responses({200: LeadOut}),
    summary="Change a lead (also its owner and team)",
)
def update_lead(
    request, payload: LeadPatch, lead_id: int = _id("lead id"), if_match: str | None = _if_match()
):
    actor = writer(request)
    data = payload.dict(exclude_unset=True)
    for required in ("name", "source_channel", "language"):
        if required in data and data[required] is None:
            del data[required]  # null means "leave as is" for a field that cannot be null
    lead_use_cases.lead_update(
        actor=actor,
        lead_id=lead_id,
        data=data,
        expected_version=expected_version(request, lead_id),
    )
    return _lead_response(actor, lead_id)


@leads.delete("/{lead_id}", response=responses({200: LeadOut}), summary="Archive a lead")
def archive_lead(request, lead_id: int = _id("lead id")):
    actor = writer(request)
    lead = lead_use_cases.lead_archive(actor=actor, lead_id=lead_id)
    return _lead_response(actor, lead.pk)


@leads.post("/{lead_id}/restore", response=responses({200: LeadOut}), summary="Restore a lead")
def restore_lead(request, lead_id: int = _id("lead id")):
    actor = writer(request)
    lead = lead_use_cases.lead_restore(actor=actor, lead_id=lead_id)
    return _lead_response(actor, lead.pk)


@leads.post(
    "/{lead_id}/qualify",
    response=responses({200: LeadOut}),
    summary="Mark a lead as qualified",
)
def qualify_lead(request, lead_id: int = _id("lead id"), if_match: str | None = _if_match()):
    actor = writer(request)
    lead_use_cases.lead_qualify(
        actor=actor, lead_id=lead_id, expected_version=expected_version(request, lead_id)
    )
    return _lead_response(actor, lead_id)


@leads.post(
    "/{lead_id}/disqualify",
    response=responses({200: LeadOut}),
    summary="Mark a lead as disqualified, with the reason",
)
def disqualify_lead(
    request,
    payload: DisqualifyIn,
    lead_id: int = _id("lead id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    lead_use_cases.lead_disqualify(
        actor=actor,
        lead_id=lead_id,
        reason=payload.reason,
        expected_version=expected_version(request, lead_id),
    )
    return _lead_response(actor, lead_id)


@leads.post(
    "/{lead_id}/convert",
    response=responses({200: LeadOut}),
    summary="Convert a lead into organisation, person and deal (all or nothing)",
    description=(
        "Reuses `organization_id`/`person_id` (see …/candidates) or creates them from the "
        "lead; creates a deal unless `create_deal` is false. A field error of the deal is "
        "named `deal.<field>`; on any error nothing is created. The answer is the converted "
        "lead with the ids of the records."
    ),
)
def convert_lead(
    request,
    payload: ConvertIn,
    lead_id: int = _id("lead id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    deal = payload.deal.dict(exclude_unset=True) if payload.deal is not None else {}
    lead_use_cases.lead_convert(
        actor=actor,
        lead_id=lead_id,
        organization_id=payload.organization_id,
        person_id=payload.person_id,
        create_organization=payload.create_organization,
        create_deal=payload.create_deal,
        deal_data={k: v for k, v in deal.items() if v is not None},
        expected_version=expected_version(request, lead_id),
    )
    return _lead_response(actor, lead_id)


@leads.get(
    "/{lead_id}/candidates",
    response=responses({200: CandidatesOut}),
    summary="Existing organisations and people the lead may belong to",
)
def lead_candidates(request, lead_id: int = _id("lead id")):
    viewer = reader(request)
    lead = lead_use_cases.lead_get(viewer=viewer, lead_id=lead_id)
    return json(_candidates_dict(lead_use_cases.lead_candidates(viewer=viewer, lead=lead)))
