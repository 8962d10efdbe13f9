"""The REST resources. Each endpoint: authenticate, parse, call one selector or service, present."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Header, Path, Query, Router, Schema
from pydantic import Field

from kundenwert.activities import selectors as activity_selectors
from kundenwert.activities import services as activity_services
from kundenwert.audit.selectors import audit_list
from kundenwert.contacts import selectors as contact_selectors
from kundenwert.contacts import services as contact_services
from kundenwert.org import selectors as org_selectors

from . import presenters as p
from . import schemas as s
from .auth import reader, writer
from .common import expected_version, json, page_response, query_params

MAX_ID = s.MAX_ID
ERRORS = {400: s.Problem, 401: s.Problem, 403: s.Problem, 404: s.Problem, 409: s.Problem,
          412: s.Problem, 413: s.Problem, 422: s.Problem}  # fmt: skip


IF_MATCH_HELP = "The record's ETag; a stale one gets 412 and nothing changes"


def _if_match():
    return Header(None, alias="If-Match", description=IF_MATCH_HELP)


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


def responses(ok: dict) -> dict:
    return {**ok, **ERRORS}


class ListQuery(Schema):
    limit: int | None = Field(None, ge=1, le=200, description="Rows per page (1–200, default 50)")
    cursor: str | None = Field(None, description="`next_cursor` of the previous page")


class ContactListQuery(ListQuery):
    q: str | None = Field(None, description="Search names, emails, phones, VAT IDs (≥ 2 chars)")
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str | None = None
    updated_since: str | None = Field(None, description="ISO 8601 date or date-time")
    archived: bool | None = Field(None, description="true: archived only; default: active only")


class OrganizationQuery(ContactListQuery):
    sort: str | None = Field(None, description="name, -name, created, -created, updated, -updated")
    status: str | None = Field(None, description="prospect, customer, partner, former_customer")
    parent: int | None = Field(None, ge=1, le=MAX_ID)


class PersonQuery(ContactListQuery):
    sort: str | None = Field(None, description="name, -name, created, -created, updated, -updated")
    organization: int | None = Field(None, ge=1, le=MAX_ID)


class AffiliationQuery(ListQuery):
    sort: str | None = Field(None, description="created, -created")
    person: int | None = Field(None, ge=1, le=MAX_ID)
    organization: int | None = Field(None, ge=1, le=MAX_ID)
    primary: bool | None = None


class ActivityQuery(ListQuery):
    q: str | None = Field(None, description="Search subjects and outcomes (≥ 2 chars)")
    sort: str | None = Field(
        None, description="occurred, -occurred (default), due, -due, updated, -updated"
    )
    type: str | None = Field(None, description="call, meeting, note, task, email; comma-separated")
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    assignee: int | None = Field(None, ge=1, le=MAX_ID)
    team: int | None = Field(None, ge=1, le=MAX_ID)
    done: bool | None = None
    due: str | None = Field(
        None,
        description="overdue, today, upcoming; a task without a due date counts by its start",
    )
    organization: int | None = Field(None, ge=1, le=MAX_ID)
    person: int | None = Field(None, ge=1, le=MAX_ID)
    updated_since: str | None = None
    archived: bool | None = None


class TaskQuery(ListQuery):
    due: str | None = Field(
        None,
        description="overdue, today, upcoming (also tasks with neither date, listed last); "
        "a task without a due date counts by its start",
    )


class DirectoryQuery(ListQuery):
    sort: str | None = None


class UserQuery(DirectoryQuery):
    team: int | None = Field(None, ge=1, le=MAX_ID)
    active: bool | None = None


class AuditQuery(ListQuery):
    target_type: str | None = Field(None, description="organization, person, activity, user, …")
    target_id: str | None = None
    actor: int | None = Field(None, ge=1, le=MAX_ID)
    verb: str | None = None
    since: str | None = Field(None, description="ISO 8601: events at or after")
    until: str | None = Field(None, description="ISO 8601: events before")


class TimelineQuery(ListQuery):
    pass


class SearchQuery(Schema):
    q: str = Field(..., description="At least 2 characters")
    limit: int | None = Field(None, ge=1, le=50)


def _created(data: dict, etag: str) -> HttpResponse:
    return json(data, status=201, etag=etag)


# --- organisations ------------------------------------------------------------------------------

organizations = Router(tags=["organizations"])


@organizations.get("", response=responses({200: s.OrganizationList}), summary="List organisations")
def list_organizations(request, filters: Query[OrganizationQuery]):
    page = contact_selectors.organization_list(
        viewer=reader(request), params=query_params(request), values=p.ORGANIZATION_COLUMNS
    )
    return page_response(page, p.organization_rows(page.rows))


@organizations.post(
    "", response=responses({201: s.OrganizationOut}), summary="Create an organisation"
)
def create_organization(request, payload: s.OrganizationIn):
    org = contact_services.organization_create(
        actor=writer(request), data=payload.dict(exclude_unset=True)
    )
    return _created(p.organization_dict(org), org.etag)


@organizations.get("/{organization_id}", response=responses({200: s.OrganizationOut}))
def get_organization(request, organization_id: int = _id("organisation id")):
    org = contact_selectors.organization_get(
        viewer=reader(request), organization_id=organization_id
    )
    return json(p.organization_dict(org), etag=org.etag)


@organizations.patch("/{organization_id}", response=responses({200: s.OrganizationOut}))
def update_organization(
    request,
    payload: s.OrganizationPatch,
    organization_id: int = _id("organisation id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    contact_selectors.organization_get(viewer=actor, organization_id=organization_id)
    org = contact_services.organization_update(
        actor=actor,
        organization_id=organization_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, organization_id),
    )
    org = contact_selectors.organization_get(viewer=actor, organization_id=org.pk)
    return json(p.organization_dict(org), etag=org.etag)


@organizations.delete(
    "/{organization_id}",
    response=responses({200: s.OrganizationOut}),
    summary="Archive an organisation",
)
def archive_organization(request, organization_id: int = _id("organisation id")):
    org = contact_services.organization_archive(
        actor=writer(request), organization_id=organization_id
    )
    return json(p.organization_dict(org), etag=org.etag)


@organizations.post("/{organization_id}/restore", response=responses({200: s.OrganizationOut}))
def restore_organization(request, organization_id: int = _id("organisation id")):
    org = contact_services.organization_restore(
        actor=writer(request), organization_id=organization_id
    )
    return json(p.organization_dict(org), etag=org.etag)


@organizations.post(
    "/{organization_id}/purge",
    response=responses({204: None}),
    summary="Delete an organisation for good (administrators)",
)
def purge_organization(request, organization_id: int = _id("organisation id")):
    contact_services.organization_delete(actor=writer(request), organization_id=organization_id)
    return HttpResponse(status=204)


def _timeline_response(entries, next_cursor):
    activities = p.activity_rows([e.activity for e in entries if e.kind == "activity"])
    by_id = {a["id"]: a for a in activities}
    items = []
    for e in entries:
        if e.kind == "activity":
            items.append({"kind": "activity", "at": e.at, "activity": by_id[e.id], "event": None})
        else:
            items.append(
                {"kind": "audit", "at": e.at, "activity": None, "event": p.audit_dict(e.event)}
            )
    return json({"items": items, "next_cursor": next_cursor})


@organizations.get("/{organization_id}/timeline", response=responses({200: s.Timeline}))
def organization_timeline(
    request, filters: Query[TimelineQuery], organization_id: int = _id("organisation id")
):
    entries, cursor = activity_selectors.timeline_for_organization(
        viewer=reader(request), organization_id=organization_id, params=query_params(request)
    )
    return _timeline_response(entries, cursor)


# --- people ----------------------------------------------------------------------------------

people = Router(tags=["people"])


@people.get("", response=responses({200: s.PersonList}), summary="List people")
def list_people(request, filters: Query[PersonQuery]):
    page = contact_selectors.person_list(
        viewer=reader(request), params=query_params(request), values=p.PERSON_COLUMNS
    )
    return page_response(page, p.person_rows(page.rows))


@people.post("", response=responses({201: s.PersonOut}), summary="Create a person")
def create_person(request, payload: s.PersonIn):
    person = contact_services.person_create(
        actor=writer(request), data=payload.dict(exclude_unset=True)
    )
    return _created(p.person_dict(person), person.etag)


@people.get("/{person_id}", response=responses({200: s.PersonOut}))
def get_person(request, person_id: int = _id("person id")):
    person = contact_selectors.person_get(viewer=reader(request), person_id=person_id)
    return json(p.person_dict(person), etag=person.etag)


@people.patch("/{person_id}", response=responses({200: s.PersonOut}))
def update_person(
    request,
    payload: s.PersonPatch,
    person_id: int = _id("person id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    contact_selectors.person_get(viewer=actor, person_id=person_id)
    person = contact_services.person_update(
        actor=actor,
        person_id=person_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, person_id),
    )
    person = contact_selectors.person_get(viewer=actor, person_id=person.pk)
    return json(p.person_dict(person), etag=person.etag)


@people.delete("/{person_id}", response=responses({200: s.PersonOut}), summary="Archive a person")
def archive_person(request, person_id: int = _id("person id")):
    person = contact_services.person_archive(actor=writer(request), person_id=person_id)
    return json(p.person_dict(person), etag=person.etag)


@people.post("/{person_id}/restore", response=responses({200: s.PersonOut}))
def restore_person(request, person_id: int = _id("person id")):
    person = contact_services.person_restore(actor=writer(request), person_id=person_id)
    return json(p.person_dict(person), etag=person.etag)


@people.post(
    "/{person_id}/purge",
    response=responses({204: None}),
    summary="Delete a person for good (administrators)",
)
def purge_person(request, person_id: int = _id("person id")):
    contact_services.person_delete(actor=writer(request), person_id=person_id)
    return HttpResponse(status=204)


@people.get("/{person_id}/timeline", response=responses({200: s.Timeline}))
def person_timeline(request, filters: Query[TimelineQuery], person_id: int = _id("person id")):
    entries, cursor = activity_selectors.timeline_for_person(
        viewer=reader(request), person_id=person_id, params=query_params(request)
    )
    return _timeline_response(entries, cursor)


# --- affiliations ------------------------------------------------------------------------------

affiliations = Router(tags=["affiliations"])


@affiliations.get("", response=responses({200: s.AffiliationList}))
def list_affiliations(request, filters: Query[AffiliationQuery]):
    page = contact_selectors.affiliation_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [p.affiliation_dict(a) for a in page.rows])


@affiliations.post("", response=responses({201: s.AffiliationOut}))
def create_affiliation(request, payload: s.AffiliationIn):
    aff = contact_services.affiliation_create(actor=writer(request), **payload.dict())
    return _created(p.affiliation_dict(aff), aff.etag)


@affiliations.get("/{affiliation_id}", response=responses({200: s.AffiliationOut}))
def get_affiliation(request, affiliation_id: int = _id("affiliation id")):
    aff = contact_selectors.affiliation_get(viewer=reader(request), affiliation_id=affiliation_id)
    return json(p.affiliation_dict(aff), etag=aff.etag)


@affiliations.patch("/{affiliation_id}", response=responses({200: s.AffiliationOut}))
def update_affiliation(
    request,
    payload: s.AffiliationPatch,
    affiliation_id: int = _id("affiliation id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    contact_selectors.affiliation_get(viewer=actor, affiliation_id=affiliation_id)
    aff = contact_services.affiliation_update(
        actor=actor,
        affiliation_id=affiliation_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, affiliation_id),
    )
    return json(p.affiliation_dict(aff), etag=aff.etag)


@affiliations.delete("/{affiliation_id}", response=responses({204: None}))
def delete_affiliation(request, affiliation_id: int = _id("affiliation id")):
    contact_services.affiliation_delete(actor=writer(request), affiliation_id=affiliation_id)
    return HttpResponse(status=204)


# --- activities ----------------------------------------------------------------------------------

activities = Router(tags=["activities"])


@activities.get("", response=responses({200: s.ActivityList}))
def list_activities(request, filters: Query[ActivityQuery]):
    page = activity_selectors.activity_list(viewer=reader(request), params=query_params(request))
    return page_response(page, p.activity_rows(page.rows))


@activities.get("/my-tasks", response=responses({200: s.ActivityList}), summary="My open tasks")
def my_tasks(request, filters: Query[TaskQuery]):
    page = activity_selectors.tasks_for(viewer=reader(request), params=query_params(request))
    return page_response(page, p.activity_rows(page.rows))


@activities.post("", response=responses({201: s.ActivityOut}))
def create_activity(request, payload: s.ActivityIn):
    activity = activity_services.activity_create(
        actor=writer(request), data=payload.dict(exclude_unset=True)
    )
    return _created(p.activity_dict(activity), activity.etag)


@activities.get("/{activity_id}", response=responses({200: s.ActivityOut}))
def get_activity(request, activity_id: int = _id("activity id")):
    activity = activity_selectors.activity_get(viewer=reader(request), activity_id=activity_id)
    return json(p.activity_dict(activity), etag=activity.etag)


@activities.patch("/{activity_id}", response=responses({200: s.ActivityOut}))
def update_activity(
    request,
    payload: s.ActivityPatch,
    activity_id: int = _id("activity id"),
    if_match: str | None = _if_match(),
):
    actor = writer(request)
    activity_selectors.activity_get(viewer=actor, activity_id=activity_id)
    activity = activity_services.activity_update(
        actor=actor,
        activity_id=activity_id,
        data=payload.dict(exclude_unset=True),
        expected_version=expected_version(request, activity_id),
    )
    activity = activity_selectors.activity_get(viewer=actor, activity_id=activity.pk)
    return json(p.activity_dict(activity), etag=activity.etag)


@activities.delete(
    "/{activity_id}", response=responses({200: s.ActivityOut}), summary="Archive an activity"
)
def archive_activity(request, activity_id: int = _id("activity id")):
    activity = activity_services.activity_archive(actor=writer(request), activity_id=activity_id)
    return json(p.activity_dict(activity), etag=activity.etag)


@activities.post("/{activity_id}/restore", response=responses({200: s.ActivityOut}))
def restore_activity(request, activity_id: int = _id("activity id")):
    activity = activity_services.activity_restore(actor=writer(request), activity_id=activity_id)
    return json(p.activity_dict(activity), etag=activity.etag)


@activities.post("/{activity_id}/purge", response=responses({204: None}))
def purge_activity(request, activity_id: int = _id("activity id")):
    activity_services.activity_delete(actor=writer(request), activity_id=activity_id)
    return HttpResponse(status=204)


# --- directory: teams and users -------------------------------------------------------------------

directory = Router(tags=["directory"])


@directory.get("/teams", response=responses({200: s.TeamList}))
def list_teams(request, filters: Query[DirectoryQuery]):
    page = org_selectors.team_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [p.team_dict(t) for t in page.rows])


@directory.get("/teams/{team_id}", response=responses({200: s.TeamOut}))
def get_team(request, team_id: int = _id("team id")):
    return json(p.team_dict(org_selectors.team_get(viewer=reader(request), team_id=team_id)))


@directory.get("/users", response=responses({200: s.UserList}))
def list_users(request, filters: Query[UserQuery]):
    page = org_selectors.user_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [p.user_dict(u) for u in page.rows])


@directory.get("/users/me", response=responses({200: s.UserOut}), summary="The signed-in user")
def me(request):
    user = reader(request)
    return json(p.user_dict(org_selectors.user_get(viewer=user, user_id=user.pk)))


@directory.get("/users/{user_id}", response=responses({200: s.UserOut}))
def get_user(request, user_id: int = _id("user id")):
    return json(p.user_dict(org_selectors.user_get(viewer=reader(request), user_id=user_id)))


# --- audit -------------------------------------------------------------------------------------

audit = Router(tags=["audit"])


@audit.get("", response=responses({200: s.AuditList}), summary="Audit events (administrators)")
def list_audit(request, filters: Query[AuditQuery]):
    page = audit_list(viewer=reader(request), params=query_params(request))
    return page_response(page, [p.audit_dict(e) for e in page.rows])


# --- search ----------------------------------------------------------------------------------

search = Router(tags=["search"])


@search.get(
    "", response=responses({200: s.SearchResult}), summary="Search organisations and people"
)
def search_all(request, filters: Query[SearchQuery]):
    params = query_params(request)
    result = contact_selectors.contacts_search(viewer=reader(request), params=params)
    return json(
        {
            "organizations": [
                {"type": "organization", "id": o.pk, "label": str(o)}
                for o in result["organizations"]
            ],
            "people": [{"type": "person", "id": x.pk, "label": str(x)} for x in result["people"]],
        }
    )
