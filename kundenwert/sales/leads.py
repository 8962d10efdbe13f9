"""Leads: who may work them, how they are read, and every change to them, up to the conversion.

Kept apart from the deals of services.py/selectors.py; the layers inside stay the same: the
policy (`lead_may`), the selectors (`lead_list`, `lead_get`, `lead_candidates`) and the
services (`lead_create`, `lead_submit_public`, `lead_update`, `lead_assign`, `lead_qualify`,
`lead_disqualify`, `lead_archive`, `lead_restore`, `lead_convert`).

Visibility: the record rules of org.policies (own, team, all). A lead from the public web form
has no owner: it sits in the *intake pool*, assigned to the team named by the setting
``LEAD_INTAKE_TEAM`` (None or an unknown name: no team). The team rule then shows it to that
team's members whose lead read level is "team", and the level "all" shows it to everybody who
has that level. Whoever can read a pooled lead and has at least the level "own" for an action
may do it (edit, convert, archive) — the pool is shared work; converting a pooled lead makes the
converting user its owner.

The public form (`lead_submit_public`) has no acting user: its audit event has no actor, the
source "web" and the sender's IP address. It accepts at most ``LEAD_FORM_MAX_PER_IP`` (default
5) leads per address within ``LEAD_FORM_WINDOW`` seconds (default 600), counted from the stored
leads, so every server process sees the same count (two racing requests may both pass at the
limit). A submission whose spam trap (`HONEYPOT_FIELD`) is filled is dropped without trace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kundenwert.audit.models import AuditEvent
from kundenwert.audit.services import archive_recorded, audit_record, diff, service, snapshot
from kundenwert.contacts.models import Affiliation, Organization, Person
from kundenwert.contacts.services import affiliation_create, organization_create, person_create
from kundenwert.core.context import acting_through
from kundenwert.core.errors import (
    ConflictError,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from kundenwert.core.listing import (
    Filter,
    ListSpec,
    parse_bool,
    parse_int,
    parse_when,
    run_list,
    sorts,
)
from kundenwert.core.normalize import normalize_email, normalize_phone
from kundenwert.core.pagination import Page
from kundenwert.core.records import check_not_archived, check_version, run_validators
from kundenwert.core.search import search_q
from kundenwert.org.models import Level, Team
from kundenwert.org.policies import can, permissions_for

from .models import LEAD_MESSAGE_MAX, Deal, Lead, lead_search_text
from .services import _channel, _default_team, _is_id, _owner, _team, deal_create

# The spam trap of the public form: a field people never see (hidden from screen readers too),
# which form-filling robots fill in.
HONEYPOT_FIELD = "website_url"
# The public form's fields → the lead's.
PUBLIC_FIELDS = {
    "name": "name",
    "email": "email",
    "company": "company",
    "phone": "phone",
    "message": "message",
    "campaign": "source_campaign",
}
LEAD_FIELDS = (
    "name", "email", "company", "phone", "source_channel", "source_campaign", "message",
    "language", "owner", "team",
)  # fmt: skip
LEAD_AUDIT_FIELDS = (
    *LEAD_FIELDS, "status", "disqualify_reason", "converted_organization", "converted_person",
    "converted_deal", "converted_at",
)  # fmt: skip
ID_KEYS = {"owner_id": "owner", "team_id": "team"}
RELATION_KEYS = {
    "owner": "owner_id",
    "team": "team_id",
    "converted_organization": "converted_organization_id",
    "converted_person": "converted_person_id",
    "converted_deal": "converted_deal_id",
}
# The deal fields a conversion may set (the customer comes from the conversion itself).
CONVERT_DEAL_FIELDS = frozenset(
    {
        "title", "owner_id", "team_id", "amount", "currency", "expected_close_date",
        "pipeline_id", "stage_id", "probability", "source_channel", "source_campaign",
        "referrer",
    }
)  # fmt: skip


class RateLimited(DomainError):
    """Too many submissions from one address: try again later."""

    code = "rate_limited"
    status = 429


# --- who may do what --------------------------------------------------------------------------


def lead_may(viewer, action: str, lead: Lead) -> bool:
    """Tell whether `viewer` may `action` ("read", "edit" or "delete") this lead.

    The record rules of org.policies, plus the intake pool: a lead without an owner may be
    edited, converted or archived by everybody who can read it and has at least the level "own"
    for the action.
    """
    if can(viewer, "lead", action, owner_id=lead.owner_id, team_id=lead.team_id):
        return True
    if lead.owner_id is not None or action == "read":
        return False
    return permissions_for(viewer).level("lead", action) >= Level.OWN and can(
        viewer, "lead", "read", owner_id=None, team_id=lead.team_id
    )


def _require(actor, action: str, lead: Lead) -> None:
    if not lead_may(actor, action, lead):
        messages = {
            "edit": _("You may not change this lead."),
            "delete": _("You may not archive or restore this lead."),
        }
        raise PermissionDenied(
            messages[action],
            action=f"lead.{action}",
            target_type="lead",
            target_id=str(lead.pk) if lead.pk else "",
        )


# --- read --------------------------------------------------------------------------------------


def _choice(field: str, allowed) -> Any:
    allowed = list(allowed)

    def build(value: str) -> Q:
        wanted = [v for v in value.split(",") if v]
        if not wanted or set(wanted) - set(allowed):
            raise ValidationError({field: [_("Unknown value. Allowed: %s") % ", ".join(allowed)]})
        return Q(**{f"{field}__in": wanted})

    return build


def _int_filter(lookup: str, name: str):
    return lambda value: Q(**{lookup: parse_int(value, name)})


LEAD_LIST = ListSpec(
    filters={
        "status": Filter(_choice("status", Lead.Status.values), "status, comma-separated"),
        "owner": Filter(_int_filter("owner_id", "owner"), "owner's user id"),
        "team": Filter(_int_filter("team_id", "team"), "team id"),
        "unassigned": Filter(
            lambda v: Q(owner__isnull=parse_bool(v, "unassigned")),
            "true: only leads without an owner (the intake pool); false: only owned ones",
        ),
        "source_channel": Filter(
            _choice("source_channel", Deal.SourceChannel.values), "channel, comma-separated"
        ),
        "updated_since": Filter(
            lambda v: Q(updated_at__gte=parse_when(v, "updated_since")), "ISO date-time"
        ),
        "archived": Filter(
            lambda v: Q(archived_at__isnull=not parse_bool(v, "archived")),
            "true: archived only; false (default): active only",
        ),
    },
    sorts=sorts(("created", ["created_at"]), ("updated", ["updated_at"]), ("name", ["name"])),
    default_sort="-created",
)


def leads_visible_to(viewer) -> QuerySet[Lead]:
    return Lead.objects.visible_to(viewer)


def lead_list(*, viewer, params: dict[str, str], values: tuple[str, ...] | None = None) -> Page:
    """Return one page of the leads `viewer` may see, newest first unless `sort` says otherwise.

    With `values`, rows are dicts of those columns (relations may be followed:
    `owner__username`), in one query; otherwise Lead objects with owner and team loaded.
    """
    qs = leads_visible_to(viewer)
    if "archived" not in params:
        qs = qs.filter(archived_at__isnull=True)
    if values is None:
        qs = qs.select_related("owner", "team")
    return run_list(qs, LEAD_LIST, params=params, values=values)


def lead_get(*, viewer, lead_id: int) -> Lead:
    """Return the lead, or raise NotFound if it does not exist or is hidden from the viewer."""
    lead = (
        leads_visible_to(viewer)
        .select_related(
            "owner", "team", "converted_organization", "converted_person", "converted_deal"
        )
        .filter(pk=lead_id)
        .first()
        if _is_id(lead_id)
        else None
    )
    if lead is None:
        raise NotFound(_("Lead not found."))
    return lead


def public_submissions_since(*, ip: str, since: dt.datetime) -> int:
    """Count the leads the public form stored from `ip` since `since`."""
    return Lead.objects.filter(submitted_ip=ip, created_at__gte=since).count()


# Mail services whose domain says nothing about the sender's employer.
FREEMAIL_DOMAINS = frozenset(
    {
        "aol.com", "freenet.de", "gmail.com", "gmx.at", "gmx.ch", "gmx.de", "gmx.net",
        "googlemail.com", "hotmail.com", "hotmail.de", "icloud.com", "live.com", "live.de",
        "mail.de", "mailbox.org", "me.com", "msn.com", "outlook.com", "outlook.de", "posteo.de",
        "proton.me", "protonmail.com", "t-online.de", "web.de", "yahoo.com", "yahoo.de",
    }
)  # fmt: skip
CANDIDATE_LIMIT = 10
# How many search hits per criterion are looked at before the exact comparison in Python.
_SEARCH_WINDOW = 50


@dataclass(frozen=True)
class Candidate:
    """An existing organisation or person that may be the lead's, and why.

    `reasons` are stable codes: "email" (same address), "phone" (same number), "domain" (the
    lead's email domain is the organisation's website domain or in its addresses), "name" (a
    similar company name).
    """

    record: Organization | Person
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LeadCandidates:
    organizations: list[Candidate]
    people: list[Candidate]


def email_domain(email: str) -> str:
    """Return the domain of an address if it names an employer (not a mail service), else ""."""
    domain = email.rpartition("@")[2].strip().lower() if "@" in (email or "") else ""
    return "" if domain in FREEMAIL_DOMAINS else domain


def company_core(company: str) -> str:
    """Return the company name lower-cased, without legal form ("Nordlicht GmbH" → "nordlicht")."""
    name = " ".join((company or "").lower().replace(",", " ").split())
    for form in sorted(Organization.LEGAL_FORMS, key=len, reverse=True):
        suffix = " " + form.lower()
        if name.endswith(suffix):
            name = name[: -len(suffix)].strip()
            break
    return name.strip(" .-&")


def _hits(queryset: QuerySet, term: str) -> list:
    return list(queryset.filter(search_q(queryset, term)).order_by("id")[:_SEARCH_WINDOW])


def _rank(found: dict[int, tuple[Any, list[str]]], key) -> list[Candidate]:
    ordered = sorted(found.values(), key=lambda item: (-len(item[1]), key(item[0]), item[0].pk))
    return [Candidate(record, tuple(reasons)) for record, reasons in ordered[:CANDIDATE_LIMIT]]


def lead_candidates(*, viewer, lead: Lead) -> LeadCandidates:
    """Return the existing organisations and people the lead may belong to, best first.

    Only active records the viewer may see. People: the same email address or phone number.
    Organisations: the lead's email domain (not a mail service's) as website domain or in an
    address, a similar name (the company without legal form, found by the search index), or
    the same phone number. At most `CANDIDATE_LIMIT` of each.
    """
    orgs = Organization.objects.visible_to(viewer).filter(archived_at__isnull=True)
    people = Person.objects.visible_to(viewer).filter(archived_at__isnull=True)
    found_orgs: dict[int, tuple[Organization, list[str]]] = {}
    found_people: dict[int, tuple[Person, list[str]]] = {}

    def add(found: dict, record, reason: str) -> None:
        reasons = found.setdefault(record.pk, (record, []))[1]
        if reason not in reasons:
            reasons.append(reason)

    email = (lead.email or "").casefold()
    if email:
        for person in _hits(people, email):
            if email in {e.casefold() for e in person.emails}:
                add(found_people, person, "email")
    if lead.phone:
        for person in _hits(people, lead.phone):
            if lead.phone in person.phones:
                add(found_people, person, "phone")
        for org in _hits(orgs, lead.phone):
            if lead.phone in org.phones:
                add(found_orgs, org, "phone")
    domain = email_domain(lead.email)
    if domain:
        for org in orgs.filter(domain=domain).order_by("id")[:_SEARCH_WINDOW]:
            add(found_orgs, org, "domain")
        for org in _hits(orgs, "@" + domain):
            if any(e.lower().endswith("@" + domain) for e in org.emails):
                add(found_orgs, org, "domain")
    core = company_core(lead.company)
    if len(core) >= 3:
        for org in _hits(orgs, core):
            if core in org.name.casefold():  # the index also holds addresses and domains
                add(found_orgs, org, "name")
    return LeadCandidates(
        organizations=_rank(found_orgs, lambda o: o.name.casefold()),
        people=_rank(found_people, lambda p: (p.last_name.casefold(), p.first_name.casefold())),
    )


# --- write: shared helpers ---------------------------------------------------------------------


def _text(limit: int, *, required: bool = False):
    """Read a text field: a string without NUL characters, trimmed, at most `limit` long."""

    def build(value) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise TypeError("text expected")
        ProhibitNullCharactersValidator()(value)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(_("Enter a valid value.")) from None
        MaxLengthValidator(limit)(value)  # before trimming: the limit is on what was sent
        value = value.strip()
        if required and not value:
            raise ValidationError(_("This field is required."))
        return value

    return build


def _email(value) -> str:
    value = _text(254)(value)
    return normalize_email(value) if value else ""


def _phone(value) -> str:
    value = _text(50)(value)
    return normalize_phone(value) if value else ""


def _language(value) -> str:
    value = _text(8)(value).lower()
    if value and value not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Choose de or en."))
    return value


def _owner_or_pool(value):
    return None if value is None else _owner(value)


def _normalizers(*, email_required: bool = False) -> dict:
    return {
        "name": _text(200, required=True),
        "email": (lambda v: normalize_email(_text(254, required=True)(v)))
        if email_required
        else _email,
        "company": _text(200),
        "phone": _phone,
        "source_channel": _channel,
        "source_campaign": _text(200),
        "message": _text(LEAD_MESSAGE_MAX),
        "language": _language,
        "owner": _owner_or_pool,
        "team": _team,
    }


def _by_id(exc: ValidationError) -> dict[str, list[str]]:
    """Name relation errors as adapters send them (`owner_id`, not `owner`)."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD_ERRORS: list(exc.messages)}
    result: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        bucket = result.setdefault(RELATION_KEYS.get(key, key), [])
        bucket.extend(m for m in messages if m not in bucket)
    return result


def _fields(data: dict) -> dict:
    """Rename `owner_id`/`team_id` to the relations; refuse unknown fields."""
    if not isinstance(data, dict):
        raise ValidationError({NON_FIELD_ERRORS: [_("Enter a valid value.")]})
    fields = {ID_KEYS.get(key, key): value for key, value in data.items()}
    unknown = sorted(set(fields) - set(LEAD_FIELDS))
    if unknown:
        raise ValidationError({RELATION_KEYS.get(k, k): [_("Unknown field.")] for k in unknown})
    return fields


def _apply(lead: Lead, fields: dict, normalizers: dict) -> None:
    try:
        run_validators(lead, fields, normalizers)
    except ValidationError as exc:
        raise ValidationError(_by_id(exc)) from None
    lead.search_text = lead_search_text(
        name=lead.name,
        email=lead.email,
        company=lead.company,
        phone=lead.phone,
        campaign=lead.source_campaign,
    )


def _snapshot(lead: Lead) -> dict:
    return snapshot(lead, LEAD_AUDIT_FIELDS)


def _lock(actor, lead_id) -> Lead:
    """Lock and return a lead the actor may see; NotFound otherwise (no existence leak)."""
    lead = (
        Lead.objects.visible_to(actor).select_for_update().filter(pk=lead_id).first()
        if _is_id(lead_id)
        else None
    )
    if lead is None:
        raise NotFound(_("Lead not found."))
    return lead


def _check_open(lead: Lead) -> None:
    """A converted lead is history: it only may be archived or restored."""
    if lead.status == Lead.Status.CONVERTED:
        raise ConflictError(_("This lead has already been converted."), code="converted")


def _save(actor, lead: Lead, before: dict) -> Lead:
    changes = diff(before, _snapshot(lead))
    if changes:
        lead.version += 1
        lead.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, target=lead, changes=changes)
    return lead


def intake_team() -> Team | None:
    """Return the team public-form leads are assigned to (setting LEAD_INTAKE_TEAM), if any."""
    name = getattr(settings, "LEAD_INTAKE_TEAM", None)
    return Team.objects.filter(name=name).first() if name else None


# --- write: leads ------------------------------------------------------------------------------


@service
def lead_create(*, actor, data: dict) -> Lead:
    """Record a lead entered by a user, owned by `data["owner_id"]` (default: the actor).

    `data`: name (required), email, company, phone (both normalised), source_channel,
    source_campaign, message, language, owner_id (None: the intake pool), team_id. Raises
    ValidationError with field messages, PermissionDenied if the actor could not edit it.
    """
    fields = _fields(data)
    lead = Lead(owner=actor, team=_default_team(actor))
    _apply(lead, fields, _normalizers())
    _require(actor, "edit", lead)
    lead.save()
    audit_record(
        actor=actor, verb=AuditEvent.Verb.CREATE, target=lead, changes=diff({}, _snapshot(lead))
    )
    return lead


@service
def lead_submit_public(*, data: dict, ip: str | None, language: str = "") -> Lead | None:
    """Store an inquiry from the public web form: no actor, no owner, the intake team.

    `data`: name and email (required), company, phone, message (at most `LEAD_MESSAGE_MAX`
    characters), campaign; other keys are ignored. In this order: bad input raises
    ValidationError with field messages; a filled spam trap `HONEYPOT_FIELD` returns None (the
    caller answers as if accepted); an `ip` that already sent `LEAD_FORM_MAX_PER_IP` leads
    within `LEAD_FORM_WINDOW` seconds raises RateLimited. In none of these cases is anything
    stored. The audit event has no actor, the source "web" and `ip`.
    """
    if not isinstance(data, dict):
        raise ValidationError({NON_FIELD_ERRORS: [_("Enter a valid value.")]})
    fields = {target: data.get(key, "") for key, target in PUBLIC_FIELDS.items()}
    lead = Lead(
        source_channel=Deal.SourceChannel.WEB,
        team=intake_team(),
        submitted_ip=ip or None,
        language=language if language in {c for c, _n in settings.LANGUAGES} else "",
    )
    _apply(lead, fields, _normalizers(email_required=True))
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        return None
    if ip:
        window = dt.timedelta(seconds=getattr(settings, "LEAD_FORM_WINDOW", 600))
        limit = getattr(settings, "LEAD_FORM_MAX_PER_IP", 5)
        if public_submissions_since(ip=ip, since=timezone.now() - window) >= limit:
            raise RateLimited(
                _("Too many inquiries from your address. Please try again in a few minutes.")
            )
    lead.save()
    with acting_through("web", ip=ip):
        audit_record(
            actor=None,
            verb=AuditEvent.Verb.CREATE,
            target=lead,
            changes=diff({}, _snapshot(lead)),
        )
    return lead


def _update(*, actor, lead_id: int, fields: dict, expected_version: int | None) -> Lead:
    lead = _lock(actor, lead_id)
    _require(actor, "edit", lead)
    check_version(lead, expected_version)
    check_not_archived(lead)
    _check_open(lead)
    before = _snapshot(lead)
    _apply(lead, fields, _normalizers())
    _require(actor, "edit", lead)  # the new owner/team must be in reach too
    return _save(actor, lead, before)


@service
def lead_update(*, actor, lead_id: int, data: dict, expected_version: int | None = None) -> Lead:
    """Change the given fields of a lead (as `lead_create` takes them).

    Refuses a stale version (PreconditionFailed), an archived lead (ConflictError "archived")
    and a converted one (ConflictError "converted"). The status changes only through
    `lead_qualify`, `lead_disqualify` and `lead_convert`.
    """
    return _update(
        actor=actor, lead_id=lead_id, fields=_fields(data), expected_version=expected_version
    )


@service
def lead_assign(
    *,
    actor,
    lead_id: int,
    owner_id: int | None,
    team_id: int | None,
    expected_version: int | None = None,
) -> Lead:
    """Give the lead to an owner (None: back to the intake pool) and a team (None: no team).

    The actor must be allowed to edit the lead both before and after the change.
    """
    return _update(
        actor=actor,
        lead_id=lead_id,
        fields={"owner": owner_id, "team": team_id},
        expected_version=expected_version,
    )


@service
def lead_qualify(*, actor, lead_id: int, expected_version: int | None = None) -> Lead:
    """Mark the lead as a real sales opportunity (also a disqualified one); twice is harmless."""
    lead = _lock(actor, lead_id)
    _require(actor, "edit", lead)
    check_version(lead, expected_version)
    check_not_archived(lead)
    _check_open(lead)
    before = _snapshot(lead)
    lead.status = Lead.Status.QUALIFIED
    lead.disqualify_reason = ""
    return _save(actor, lead, before)


@service
def lead_disqualify(
    *, actor, lead_id: int, reason: str, expected_version: int | None = None
) -> Lead:
    """Mark the lead as no opportunity, saying why (`reason`, required, at most 500 chars)."""
    lead = _lock(actor, lead_id)
    _require(actor, "edit", lead)
    check_version(lead, expected_version)
    check_not_archived(lead)
    _check_open(lead)
    try:
        text = _text(500, required=True)(reason)
    except TypeError:
        raise ValidationError({"reason": [_("Enter a valid value.")]}) from None
    except ValidationError as exc:
        raise ValidationError({"reason": exc.messages}) from None
    before = _snapshot(lead)
    lead.status = Lead.Status.DISQUALIFIED
    lead.disqualify_reason = text
    return _save(actor, lead, before)


def _set_archived(*, actor, lead_id: int, archived: bool) -> Lead:
    lead = _lock(actor, lead_id)
    _require(actor, "delete", lead)
    archive_recorded(actor=actor, record=lead, archived=archived)
    return lead


@service
def lead_archive(*, actor, lead_id: int) -> Lead:
    """Archive (soft-delete) a lead, e.g. spam; archiving twice is harmless."""
    return _set_archived(actor=actor, lead_id=lead_id, archived=True)


@service
def lead_restore(*, actor, lead_id: int) -> Lead:
    return _set_archived(actor=actor, lead_id=lead_id, archived=False)


# --- write: the conversion ---------------------------------------------------------------------


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    """Name a nested service's field errors after the part of the conversion they belong to."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({prefix.rstrip("."): list(exc.messages)})
    return ValidationError(
        {
            prefix.rstrip(".") if key == NON_FIELD_ERRORS else f"{prefix}{key}": messages
            for key, messages in exc.message_dict.items()
        }
    )


def _existing(model, value, field: str, actor, errors: dict[str, list[str]]):
    """Resolve an existing organisation or person to reuse; collect a field error otherwise."""
    if value is None:
        return None
    found = model.objects.visible_to(actor).filter(pk=value).first() if _is_id(value) else None
    if found is None:
        messages = {
            "organization_id": _("No organisation with this id."),
            "person_id": _("No person with this id."),
        }
        errors[field] = [messages[field]]
    elif found.archived_at is not None:
        errors[field] = [_("This record is archived. Restore it first.")]
    return found


def person_data_from(lead: Lead) -> dict:
    """The new person a lead becomes: its name split into first and last name, email, phone."""
    parts = lead.name.split()
    return {
        "first_name": " ".join(parts[:-1]),
        "last_name": parts[-1] if parts else lead.name,
        "emails": [lead.email] if lead.email else [],
        "phones": [lead.phone] if lead.phone else [],
        "language": lead.language if lead.language in {"de", "en"} else "",
    }


def _link(actor, person: Person, org: Organization) -> None:
    """Affiliate the person with the organisation unless linked or not the actor's to change."""
    if Affiliation.objects.filter(person=person, organization=org).exists():
        return
    if not can(actor, "person", "edit", owner_id=person.owner_id, team_id=person.team_id):
        return  # the deal still names both; only the actor's own people get a new link
    affiliation_create(
        actor=actor,
        person_id=person.pk,
        organization_id=org.pk,
        is_primary=not Affiliation.objects.filter(person=person, is_primary=True).exists(),
    )


@service
def lead_convert(
    *,
    actor,
    lead_id: int,
    organization_id: int | None = None,
    person_id: int | None = None,
    create_organization: bool = True,
    create_deal: bool = True,
    deal_data: dict | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Turn a lead into an organisation, a person (linked to it) and a deal, in one transaction.

    Reuses the given existing organisation or person (each must be visible to the actor and
    active) or creates them through the contacts services: the organisation from the lead's
    company (none without a company, or with `create_organization=False`), the person from its
    name, email address, phone number and language. The deal (`create_deal`) is created
    through `deal_create` with the lead's source and `deal_data` (title, amount, currency,
    pipeline_id, stage_id, probability, expected_close_date, owner_id, team_id, referrer…;
    the title defaults to the company or the name). The lead becomes "converted", linked to
    the three records, and the actor's if it had no owner.

    Everything or nothing: any error (a field error of the deal is named `deal.<field>`) rolls
    every record back. Raises ConflictError for a converted ("converted") or disqualified
    ("disqualified") lead, PermissionDenied if the actor may not edit the lead or create one of
    the records.
    """
    lead = _lock(actor, lead_id)
    _require(actor, "edit", lead)
    check_version(lead, expected_version)
    check_not_archived(lead)
    _check_open(lead)
    if lead.status == Lead.Status.DISQUALIFIED:
        raise ConflictError(
            _("A disqualified lead cannot be converted. Qualify it first."), code="disqualified"
        )
    errors: dict[str, list[str]] = {}
    org = _existing(Organization, organization_id, "organization_id", actor, errors)
    person = _existing(Person, person_id, "person_id", actor, errors)
    deal_data = {} if deal_data is None else deal_data
    if not isinstance(deal_data, dict):
        errors["deal"] = [_("Enter a valid value.")]
    else:
        for key in sorted(set(deal_data) - CONVERT_DEAL_FIELDS):
            errors[f"deal.{key}"] = [_("Unknown field.")]
    if errors:
        raise ValidationError(errors)
    try:
        if org is None and create_organization and lead.company:
            org = organization_create(actor=actor, data={"name": lead.company})
    except ValidationError as exc:
        raise _prefixed(exc, "organization.") from None
    try:
        if person is None:
            person = person_create(actor=actor, data=person_data_from(lead))
    except ValidationError as exc:
        raise _prefixed(exc, "person.") from None
    if org is not None:
        _link(actor, person, org)
    deal = None
    if create_deal:
        data = {
            "title": (lead.company or lead.name)[:200],
            "source_channel": lead.source_channel,
            "source_campaign": lead.source_campaign,
            **deal_data,
            "organization_id": org.pk if org is not None else None,
            "person_id": person.pk,
        }
        try:
            deal = deal_create(actor=actor, data=data)
        except ValidationError as exc:
            raise _prefixed(exc, "deal.") from None
    before = _snapshot(lead)
    lead.status = Lead.Status.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_organization = org
    lead.converted_person = person
    lead.converted_deal = deal
    if lead.owner_id is None:
        lead.owner = actor
    return _save(actor, lead, before)
