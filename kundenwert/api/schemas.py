"""Request and response shapes of the REST API (they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictInt

MAX_ID = 2**63 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("invalid unicode") from exc
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802 - reads like a type
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_clean_text)
    ]


# Strict: JSON `true` or "7" is not an id (pydantic would otherwise coerce them).
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
OrgStatus = Literal["prospect", "customer", "partner", "former_customer"]
ActivityType = Literal["call", "meeting", "note", "task", "email"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Problem(Schema):
    code: str
    detail: str
    errors: dict[str, list[str]] = {}


class Address(Strict):
    label: Text(50) | None = None
    street: Text(200) = ""
    postal_code: Text(200) = ""
    city: Text(200) = ""
    region: Text(200) = ""
    country: Text(2) = Field("", description="ISO 3166-1 alpha-2 code, e.g. DE")


class AddressOut(Schema):
    label: str | None = None
    street: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""


# --- organisations -----------------------------------------------------------------------------


class OrganizationOut(Schema):
    id: int
    name: str
    legal_form: str
    vat_id: str
    industry: str
    website: str
    domain: str
    emails: list[str]
    phones: list[str]
    billing_address: AddressOut
    shipping_address: AddressOut
    tags: list[str]
    owner_id: int
    team_id: int | None
    status: OrgStatus
    parent_id: int | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class OrganizationList(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class _OrganizationFields(Strict):
    legal_form: Text(40) = ""
    vat_id: Text(30) = Field("", description="EU VAT ID; validated and stored in compact form")
    industry: Text(100) = ""
    website: Text(200) = ""
    emails: list[Text(254)] = Field(default_factory=list, max_length=20)
    phones: list[Text(50)] = Field(default_factory=list, max_length=20)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    tags: list[Text(50)] = Field(default_factory=list, max_length=50)
    owner_id: Id | None = Field(None, description="Defaults to the acting user")
    team_id: Id | None = None
    status: OrgStatus = "prospect"
    parent_id: Id | None = None


class OrganizationIn(_OrganizationFields):
    name: Text(200, 1)


class OrganizationPatch(Strict):
    name: Text(200, 1) | None = None
    legal_form: Text(40) | None = None
    vat_id: Text(30) | None = None
    industry: Text(100) | None = None
    website: Text(200) | None = None
    emails: list[Text(254)] | None = Field(None, max_length=20)
    phones: list[Text(50)] | None = Field(None, max_length=20)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    tags: list[Text(50)] | None = Field(None, max_length=50)
    owner_id: Id | None = None
    team_id: Id | None = None
    status: OrgStatus | None = None
    parent_id: Id | None = None


# --- people ------------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    salutation: str
    title: str
    first_name: str
    last_name: str
    emails: list[str]
    phones: list[str]
    job_title: str
    language: str
    addresses: list[AddressOut]
    tags: list[str]
    owner_id: int
    team_id: int | None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class PersonList(Schema):
    items: list[PersonOut]
    next_cursor: str | None


Salutation = Literal["", "mr", "ms", "mx"]


class PersonIn(Strict):
    salutation: Salutation = ""
    title: Text(50) = ""
    first_name: Text(100) = ""
    last_name: Text(100, 1)
    emails: list[Text(254)] = Field(default_factory=list, max_length=20)
    phones: list[Text(50)] = Field(default_factory=list, max_length=20)
    job_title: Text(100) = ""
    language: Literal["", "de", "en"] = ""
    addresses: list[Address] = Field(default_factory=list, max_length=10)
    tags: list[Text(50)] = Field(default_factory=list, max_length=50)
    owner_id: Id | None = None
    team_id: Id | None = None


class PersonPatch(Strict):
    salutation: Salutation | None = None
    title: Text(50) | None = None
    first_name: Text(100) | None = None
    last_name: Text(100, 1) | None = None
    emails: list[Text(254)] | None = Field(None, max_length=20)
    phones: list[Text(50)] | None = Field(None, max_length=20)
    job_title: Text(100) | None = None
    language: Literal["", "de", "en"] | None = None
    addresses: list[Address] | None = Field(None, max_length=10)
    tags: list[Text(50)] | None = Field(None, max_length=50)
    owner_id: Id | None = None
    team_id: Id | None = None


# --- affiliations ------------------------------------------------------------------------------


class AffiliationOut(Schema):
    id: int
    person_id: int
    organization_id: int
    role: str
    is_primary: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class AffiliationList(Schema):
    items: list[AffiliationOut]
    next_cursor: str | None


class AffiliationIn(Strict):
    person_id: Id
    organization_id: Id
    role: Text(100) = ""
    is_primary: StrictBool = False


class AffiliationPatch(Strict):
    role: Text(100) | None = None
    is_primary: StrictBool | None = None


# --- activities --------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    type: ActivityType
    subject: str
    body: str
    body_format: Literal["markdown", "html"]
    body_html: str
    starts_at: dt.datetime | None
    due_at: dt.datetime | None
    duration_minutes: int | None
    outcome: str
    is_done: bool
    done_at: dt.datetime | None
    occurred_at: dt.datetime
    owner_id: int
    assignee_id: int | None
    team_id: int | None
    organization_ids: list[int]
    person_ids: list[int]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ActivityList(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class ActivityIn(Strict):
    type: ActivityType
    subject: Text(200, 1)
    body: Text(100_000) = ""
    body_format: Literal["markdown", "html"] = "markdown"
    starts_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    duration_minutes: StrictInt | None = Field(None, ge=0, le=44640)
    outcome: Text(200) = ""
    is_done: StrictBool = False
    owner_id: Id | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None
    organization_ids: list[Id] = Field(default_factory=list, max_length=50)
    person_ids: list[Id] = Field(default_factory=list, max_length=50)


class ActivityPatch(Strict):
    type: ActivityType | None = None
    subject: Text(200, 1) | None = None
    body: Text(100_000) | None = None
    body_format: Literal["markdown", "html"] | None = None
    starts_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    duration_minutes: StrictInt | None = Field(None, ge=0, le=44640)
    outcome: Text(200) | None = None
    is_done: StrictBool | None = None
    owner_id: Id | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None
    organization_ids: list[Id] | None = Field(None, max_length=50)
    person_ids: list[Id] | None = Field(None, max_length=50)


# --- timeline, directory, audit, search ------------------------------------------------------


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    source: str
    verb: str
    target_type: str
    target_id: str
    target_repr: str
    changes: dict
    ip: str | None


class AuditList(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


class TimelineEntryOut(Schema):
    kind: Literal["activity", "audit"]
    at: dt.datetime
    activity: ActivityOut | None = None
    event: AuditEventOut | None = None


class Timeline(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class TeamOut(Schema):
    id: int
    name: str
    member_ids: list[int]


class TeamList(Schema):
    items: list[TeamOut]
    next_cursor: str | None


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    language: str
    is_active: bool
    team_ids: list[int]
    roles: list[str]


class UserList(Schema):
    items: list[UserOut]
    next_cursor: str | None


class SearchHit(Schema):
    type: Literal["organization", "person"]
    id: int
    label: str


class SearchResult(Schema):
    organizations: list[SearchHit]
    people: list[SearchHit]
