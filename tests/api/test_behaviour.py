"""What a client of the REST API relies on, over real HTTP: statuses, ETags, errors, paging."""

from __future__ import annotations

import json

import pytest
import requests

from kundenwert.activities.models import Activity
from kundenwert.api import schemas
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization, Person
from kundenwert.contacts.services import organization_create, person_create

from .conftest import LIVE, PROBLEM_KEYS, settle, state

pytestmark = LIVE


def problem(response: requests.Response, status: int) -> dict:
    """Assert an error response: the status, and a body of exactly code, detail and errors."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


# --- create, retrieve, ETag and If-Match -------------------------------------------------------


def test_create_returns_201_with_etag_and_retrieve_agrees(api, world):
    token = world.tokens["anna"]
    created = api.post(
        "/organizations", token=token, json={"name": "Ostwind AG", "vat_id": "DE 136 695 976"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["vat_id"] == "DE136695976"
    assert body["owner_id"] == world.people["anna"].pk and body["team_id"] == world.team.pk
    assert created.headers["ETag"] == f'"{body["id"]}-1"'
    fetched = api.get(f"/organizations/{body['id']}", token=token)
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == created.headers["ETag"]
    assert fetched.json() == body


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/people", {"last_name": "Neu", "phones": ["040 1234567"]}),
        (
            "/activities",
            {"type": "task", "subject": "Anrufen", "due_at": "2026-05-01T09:00:00+02:00"},
        ),
    ],
)
def test_create_people_and_activities(path, body, api, world):
    response = api.post(path, token=world.tokens["anna"], json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["ETag"] == f'"{data["id"]}-1"'
    if path == "/people":
        assert data["phones"] == ["+49401234567"]
    else:
        assert data["due_at"] == "2026-05-01T07:00:00Z"
        assert data["assignee_id"] == world.people["anna"].pk


def test_note_without_dates_occurs_now(api, world):
    response = api.post(
        "/activities", token=world.tokens["anna"], json={"type": "note", "subject": "x"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["occurred_at"] is not None


def test_patch_with_current_etag_then_stale_etag(api, world):
    token, path = world.tokens["anna"], f"/organizations/{world.org.pk}"
    etag = api.get(path, token=token).headers["ETag"]
    ok = api.patch(path, token=token, json={"industry": "Logistik"}, headers={"If-Match": etag})
    assert ok.status_code == 200
    assert ok.json()["industry"] == "Logistik" and ok.json()["version"] == 2
    assert ok.headers["ETag"] == f'"{world.org.pk}-2"' != etag
    before = state(world)
    stale = api.patch(path, token=token, json={"industry": "Bau"}, headers={"If-Match": etag})
    assert problem(stale, 412)["code"] == "precondition_failed"
    assert state(world) == before
    other = api.patch(path, token=token, json={"industry": "Bau"}, headers={"If-Match": '"999-2"'})
    problem(other, 412)
    assert state(world) == before


def test_patch_without_if_match_works(api, world):
    response = api.patch(
        f"/people/{world.person.pk}", token=world.tokens["anna"], json={"job_title": "CFO"}
    )
    assert response.status_code == 200
    assert response.json()["job_title"] == "CFO"
    assert Person.objects.get(pk=world.person.pk).version == 2


# --- archive, restore, purge -------------------------------------------------------------------


def test_delete_archives_restore_brings_back(api, world):
    token, path = world.tokens["anna"], f"/organizations/{world.org.pk}"
    archived = api.delete(path, token=token)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    assert Organization.objects.get(pk=world.org.pk).archived_at is not None
    assert api.get("/organizations", token=token).json()["items"] == []
    only_archived = api.get("/organizations?archived=true", token=token).json()["items"]
    assert [o["id"] for o in only_archived] == [world.org.pk]
    assert api.get(path, token=token).json()["archived_at"] is not None
    problem(api.patch(path, token=token, json={"industry": "x"}), 409)
    restored = api.post(f"{path}/restore", token=token)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    assert [o["id"] for o in api.get("/organizations", token=token).json()["items"]] == [
        world.org.pk
    ]


def test_purge_is_for_administrators(api, world):
    for kind, target in (("activities", world.activity), ("people", world.person),
                         ("organizations", world.org)):  # fmt: skip
        model = type(target)
        before = state(world)
        # anna owns the record and may archive it, but only administrators delete for good.
        problem(api.post(f"/{kind}/{target.pk}/purge", token=world.tokens["anna"]), 403)
        assert state(world) == before, kind
        purged = api.post(f"/{kind}/{target.pk}/purge", token=world.tokens["admin"])
        assert purged.status_code == 204 and purged.content == b"", kind
        assert not model.objects.filter(pk=target.pk).exists()
        problem(api.get(f"/{kind}/{target.pk}", token=world.tokens["admin"]), 404)
        event = AuditEvent.objects.get(verb="delete", target_type=model._meta.model_name,
                                       target_id=str(target.pk))  # fmt: skip
        assert (event.source, event.actor_id) == ("api", world.people["admin"].pk)
    assert Affiliation.objects.count() == 0  # went with the person


# --- errors ------------------------------------------------------------------------------------


BAD_QUERIES = [
    ("/organizations?colour=red", "colour"),
    ("/organizations?sort=colour", "sort"),
    ("/people?sort=-shoe_size", "sort"),
    ("/activities?priority=1", "priority"),
    ("/affiliations?sort=name", "sort"),
    ("/audit?sort=actor", "sort"),
    ("/teams?members=1", "members"),
    ("/users?sort=email", "sort"),
    ("/search?q=ab&type=x", "type"),
    ("/organizations/{org}/timeline?sort=at", "sort"),
    ("/organizations?cursor=not-a-cursor", "cursor"),
    ("/organizations/{org}/timeline?cursor=not-a-cursor", "cursor"),
    ("/organizations?status=bankrupt", "status"),
    ("/organizations?updated_since=2026-13-45", "updated_since"),
    ("/organizations?updated_since=yesterday", "updated_since"),
    ("/organizations?owner=99999999999999999999999", "owner"),
    ("/organizations?q=a", "q"),
    ("/activities?due=someday", "due"),
    ("/activities?type=call,visit", "type"),
    ("/organizations?archived=maybe", "archived"),
    ("/organizations?name=a&name=b", "name"),
    ("/organizations?limit=10&limit=20", "limit"),
    ("/organizations?q=ab%00cd", "q"),
    ("/organizations?tag=%00", "tag"),
    ("/organizations?limit=0", "limit"),
    ("/organizations?limit=201", "limit"),
    ("/organizations?limit=-1", "limit"),
    ("/organizations?limit=abc", "limit"),
    ("/organizations?limit=1e3", "limit"),
    ("/people?limit=201", "limit"),
    ("/activities?limit=0", "limit"),
    ("/audit?limit=201", "limit"),
    ("/organizations/{org}/timeline?limit=0", "limit"),
    ("/search?q=ab&limit=0", "limit"),
]


def test_bad_query_parameters_are_400_naming_the_parameter(api, world):
    failures = []
    for path, param in BAD_QUERIES:
        response = api.get(path.format(org=world.org.pk), token=world.tokens["admin"])
        try:
            body = problem(response, 400)
        except AssertionError as exc:
            failures.append(f"{path}: {exc}")
            continue
        if param not in body["errors"]:
            failures.append(f"{path}: {param} not in {body['errors']}")
    assert not failures, "\n".join(failures)


def test_cursor_of_another_sort_is_400(api, world):
    token = world.tokens["admin"]
    organization_create(actor=world.people["admin"], data={"name": "Zweite GmbH"})
    cursor = api.get("/organizations?limit=1&sort=name", token=token).json()["next_cursor"]
    assert cursor
    body = problem(
        api.get(f"/organizations?limit=1&sort=-created&cursor={cursor}", token=token), 400
    )
    assert list(body["errors"]) == ["cursor"]


def test_invalid_vat_id_is_422(api, world):
    before = state(world)
    body = problem(
        api.post(
            "/organizations", token=world.tokens["anna"], json={"name": "X", "vat_id": "DE123"}
        ),
        422,
    )
    assert list(body["errors"]) == ["vat_id"]
    assert state(world) == before


def test_unknown_body_field_is_422(api, world):
    for path, payload, field in (
        ("/organizations", {"name": "X", "colour": "red"}, "colour"),
        ("/people", {"last_name": "X", "nickname": "x"}, "nickname"),
        ("/activities", {"type": "note", "subject": "x", "priority": 1}, "priority"),
        ("/affiliations", {"person_id": 1, "organization_id": 1, "since": "2020"}, "since"),
        (f"/people/{world.person.pk}", {"nickname": "x"}, "nickname"),
    ):
        before = state(world)
        method = "PATCH" if path[-1].isdigit() else "POST"
        body = problem(api.request(method, path, token=world.tokens["admin"], json=payload), 422)
        assert any(field in key for key in body["errors"]), body
        assert state(world) == before


def test_unknown_patch_field_is_422(api, world):
    before = state(world)
    body = problem(
        api.patch(
            f"/organizations/{world.org.pk}", token=world.tokens["anna"], json={"colour": "red"}
        ),
        422,
    )
    assert any("colour" in key for key in body["errors"]), body
    assert state(world) == before


def test_body_over_upload_limit_is_413(api, world, settings):
    before = state(world)
    payload = json.dumps({"name": "Big", "industry": "x" * 3_000_000})
    assert len(payload) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api.post("/organizations", token=world.tokens["anna"], data=payload,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert problem(response, 413)["code"] == "too_large"
    assert state(world) == before


def test_malformed_json_is_a_problem(api, world):
    before = state(world)
    response = api.post("/organizations", token=world.tokens["anna"], data="{not json",
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code in {400, 422}
    problem(response, response.status_code)
    assert state(world) == before


def test_duplicate_affiliation_is_409(api, world):
    before = state(world)
    payload = {"person_id": world.person.pk, "organization_id": world.org.pk, "role": "again"}
    assert (
        problem(api.post("/affiliations", token=world.tokens["anna"], json=payload), 409)["code"]
        == "conflict"
    )
    assert state(world) == before


def test_unknown_ids_are_404(api, world):
    for path in ("/organizations/424242", "/people/424242", "/activities/424242",
                 "/affiliations/424242", "/teams/424242", "/users/424242"):  # fmt: skip
        assert problem(api.get(path, token=world.tokens["admin"]), 404)["code"] == "not_found"


# --- hostile input never yields a 500 ------------------------------------------------------------


BAD_BODIES = [
    ("/organizations", {"name": "Nul\u0000GmbH"}, "name"),
    ("/organizations", {"name": "X", "tags": ["a\u0000b"]}, "tags.0"),
    ("/organizations", {"name": "x" * 201}, "name"),
    ("/organizations", {"name": "X", "owner_id": 2**64}, "owner_id"),
    ("/organizations", {"name": "X", "parent_id": 0}, "parent_id"),
    ("/organizations", {"name": "X", "emails": ["not-an-email"]}, "emails"),
    ("/people", {"last_name": "X", "phones": ["abc"]}, "phones"),
    ("/people", {"last_name": "X", "addresses": [{"country": "Germany"}]}, "addresses"),
    ("/activities", {"type": "task", "subject": "x", "due_at": "2026-02-30T10:00:00Z"}, "due_at"),
    ("/activities", {"type": "task", "subject": "x", "due_at": "2026-05-01T09:00:00"}, "due_at"),
    (
        "/activities",
        {"type": "task", "subject": "x", "due_at": "9999-12-31T23:59:59-23:59"},
        "due_at",
    ),
    ("/activities", {"type": "task", "subject": "x"}, "due_at"),
    (
        "/activities",
        {"type": "note", "subject": "x", "duration_minutes": 10**30},
        "duration_minutes",
    ),
    (
        "/activities",
        {"type": "note", "subject": "x", "organization_ids": [424242]},
        "organization_ids",
    ),
]


def test_bad_body_values_are_422(api, world):
    failures = []
    for path, payload, field in BAD_BODIES:
        before = state(world)
        response = api.post(path, token=world.tokens["admin"], json=payload)
        try:
            body = problem(response, 422)
            assert any(key == field or key.startswith(field + ".") for key in body["errors"]), body
            assert state(world) == before, "rows changed"
        except AssertionError as exc:
            failures.append(f"{path} {payload}: {exc}")
    assert not failures, "\n".join(failures)


def test_lone_surrogate_in_body_is_422(api, world):
    before = state(world)
    raw = '{"name": "Bad \\ud800 GmbH"}'  # valid JSON escapes, but not encodable text
    response = api.post("/organizations", token=world.tokens["admin"], data=raw,
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert "name" in problem(response, 422)["errors"]
    assert state(world) == before


ODD_QUERIES = {
    # query string -> the status it must get (never a 500)
    "q=%ED%A0%80%ED%A0%80": 200,  # encoded lone surrogates decode to U+FFFD
    "q=" + "x" * 5000: 200,
    "q=%25%5F%5C": 200,  # LIKE wildcards are matched literally
    "q=%27%22;--": 200,
    "updated_since=2026-05-01T09:00:00": 200,  # naive: read as UTC
    "updated_since=0001-01-01": 200,
    "updated_since=9999-12-31T23:59:59-23:59": 400,  # beyond year 9999 in UTC
    "updated_since=0001-01-01T00:00:00%2B01:00": 400,  # before year 1 in UTC
    "owner=9223372036854775808": 400,
    "parent=-9223372036854775809": 400,
}


def test_odd_query_values_are_answered_without_server_error(api, world):
    failures = []
    for query, status in ODD_QUERIES.items():
        response = api.get(f"/organizations?{query}", token=world.tokens["admin"])
        if response.status_code != status:
            failures.append(
                f"{query[:60]}: {response.status_code} (want {status}) {response.text[:200]}"
            )
        elif status == 400:
            problem(response, 400)
    assert not failures, "\n".join(failures)
    assert api.get("/organizations?q=%25%5F%5C", token=world.tokens["admin"]).json()["items"] == []


def test_out_of_range_ids_are_400_or_422(api, world):
    token = world.tokens["admin"]
    for path in ("/organizations/9223372036854775808", "/organizations/0", "/people/-1",
                 "/activities/abc", "/organizations/1/timeline?limit=x"):  # fmt: skip
        problem(api.get(path, token=token), 400)
    before = state(world)
    problem(api.patch("/organizations/9223372036854775808", token=token, json={"name": "x"}), 422)
    problem(api.delete("/people/0", token=token), 422)
    assert state(world) == before


def _patch_fields(schema) -> list[str]:
    return sorted(schema.model_fields)


PATCH_SCHEMAS = {
    "organizations": schemas.OrganizationPatch,
    "people": schemas.PersonPatch,
    "activities": schemas.ActivityPatch,
    "affiliations": schemas.AffiliationPatch,
}


@pytest.mark.parametrize("kind", sorted(PATCH_SCHEMAS))
def test_patch_with_null_never_fails_the_server(kind, api, world):
    """Every PATCH field accepts JSON null in the schema; each must answer 200 or 422."""
    target = {"organizations": world.org, "people": world.person, "activities": world.activity,
              "affiliations": world.affiliation}[kind]  # fmt: skip
    failures = []
    for field in _patch_fields(PATCH_SCHEMAS[kind]):
        response = api.patch(
            f"/{kind}/{target.pk}", token=world.tokens["admin"], json={field: None}
        )
        if response.status_code not in {200, 422}:
            failures.append(f"{field}: {response.status_code} {response.text[:200]}")
        elif response.status_code == 422:
            problem(response, 422)
    assert not failures, "\n".join(failures)


# --- lists: paging and search ------------------------------------------------------------------


def test_keyset_pagination_returns_every_row_once(api, world):
    admin = world.people["admin"]
    for i in range(11):
        # Duplicate names so that the id tie-breaker matters.
        organization_create(actor=admin, data={"name": f"Firma {i % 4}"})
    for sort in ("name", "-name", "created", "-created", "updated", "-updated"):
        _page_through_organizations(api, world, sort)


def _page_through_organizations(api, world, sort: str) -> None:
    expected = set(Organization.objects.values_list("id", flat=True))
    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        query = f"/organizations?limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(query, token=world.tokens["admin"]).json()
        seen += [o["id"] for o in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected) and len(seen) == len(expected) == 12
    assert pages == 4
    whole = [
        o["id"]
        for o in api.get(
            f"/organizations?limit=200&sort={sort}", token=world.tokens["admin"]
        ).json()["items"]
    ]
    assert seen == whole


def test_other_lists_page_through_every_row_once(api, world):
    for kind in ("people", "activities", "affiliations", "users", "teams", "audit"):
        _page_through(api, world, kind)


def _page_through(api, world, kind: str) -> None:
    token = world.tokens["admin"]
    everything = api.get(f"/{kind}?limit=200", token=token).json()
    assert everything["next_cursor"] is None
    ids, cursor = [], None
    while True:
        page = api.get(
            f"/{kind}?limit=1" + (f"&cursor={cursor}" if cursor else ""), token=token
        ).json()
        ids += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == [row["id"] for row in everything["items"]] and len(ids) == len(set(ids)) >= 1


def test_timeline_merges_activities_and_audit_and_pages(api, world):
    token, path = world.tokens["anna"], f"/organizations/{world.org.pk}/timeline"
    api.patch(f"/organizations/{world.org.pk}", token=token, json={"industry": "Handel"})
    whole = api.get(path, token=token).json()
    kinds = [(e["kind"], (e["activity"] or e["event"])["id"]) for e in whole["items"]]
    assert {k for k, _ in kinds} == {"activity", "audit"} and len(kinds) == 3
    assert [e["at"] for e in whole["items"]] == sorted(
        (e["at"] for e in whole["items"]), reverse=True
    )
    paged, cursor = [], None
    while True:
        page = api.get(
            path + "?limit=1" + (f"&cursor={cursor}" if cursor else ""), token=token
        ).json()
        paged += [(e["kind"], (e["activity"] or e["event"])["id"]) for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == kinds


def test_q_searches_names_emails_phones_and_vat_ids(api, world):
    anna = world.people["anna"]
    data = {"name": "Südwind KG", "emails": ["info@suedwind.example"], "phones": ["+49 40 9876543"]}
    other = organization_create(actor=anna, data=data)
    token = world.tokens["anna"]

    def ids(query: str) -> list[int]:
        response = api.get(f"/organizations?q={query}", token=token)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert ids("nordlicht") == [world.org.pk]
    assert ids("DE136695976") == [world.org.pk]
    assert ids("suedwind.example") == [other.pk]
    assert ids("9876543") == [other.pk]
    assert ids("südwind") == [other.pk]
    assert ids("nirgendwo") == []
    people = api.get("/people?q=petra@nordlicht", token=token).json()["items"]
    assert [p["id"] for p in people] == [world.person.pk]
    acts = api.get("/activities?q=kick", token=token).json()["items"]
    assert [a["id"] for a in acts] == [world.activity.pk]


def test_cross_entity_search(api, world):
    nordmann = person_create(actor=world.people["anna"], data={"last_name": "Nordmann"})
    person_create(actor=world.people["ben"], data={"last_name": "Nordhoff"})  # not anna's to see
    response = api.get("/search?q=nord&limit=5", token=world.tokens["anna"])
    assert response.status_code == 200
    body = response.json()
    assert body["organizations"] == [
        {"type": "organization", "id": world.org.pk, "label": "Nordlicht GmbH"}
    ]
    # Paulsen matches by her e-mail address at nordlicht.example; people sort by last name.
    assert [(h["type"], h["id"]) for h in body["people"]] == [
        ("person", nordmann.pk),
        ("person", world.person.pk),
    ]
    one = api.get("/search?q=nord&limit=1", token=world.tokens["anna"]).json()
    assert len(one["organizations"]) == 1 and len(one["people"]) == 1
    assert "q" in problem(api.get("/search?q=n", token=world.tokens["anna"]), 400)["errors"]
    assert "q" in problem(api.get("/search", token=world.tokens["anna"]), 400)["errors"]
    assert (
        "limit"
        in problem(api.get("/search?q=nord&limit=51", token=world.tokens["anna"]), 400)["errors"]
    )


def test_users_me(api, world):
    response = api.get("/users/me", token=world.tokens["anna"])
    assert response.status_code == 200
    me = response.json()
    assert me["username"] == "anna" and me["id"] == world.people["anna"].pk
    assert me["team_ids"] == [world.team.pk] and me["roles"] == ["sales"]


def test_my_tasks_lists_own_open_tasks(api, world):
    token = world.tokens["anna"]
    payload = {"type": "task", "subject": "Angebot", "due_at": "2020-01-01T09:00:00Z"}
    task = api.post("/activities", token=token, json=payload).json()
    assert [t["id"] for t in api.get("/activities/my-tasks", token=token).json()["items"]] == [
        task["id"]
    ]
    assert [
        t["id"] for t in api.get("/activities/my-tasks?due=overdue", token=token).json()["items"]
    ] == [task["id"]]
    assert api.get("/activities/my-tasks", token=world.tokens["ben"]).json()["items"] == []


# --- auth: tokens, the browser session, CSRF ------------------------------------------------------


def test_bad_tokens_are_401(api, world):
    for header in ("Bearer nonsense", "Bearer kw_abc_def", "Basic YW5uYTpkZW1v", "Bearer "):
        response = api.get("/organizations", headers={"Authorization": header})
        assert problem(response, 401)["code"] == "not_authenticated"


@pytest.fixture
def browser(live_server):
    """A browser-like session (cookies, no token), settled at the end of the test."""
    session = requests.Session()
    yield session
    settle(session, live_server.url)


def test_session_login_with_csrf(live_server, browser, world):
    login = f"{live_server.url}/accounts/login/"
    assert browser.get(login, timeout=30).status_code == 200
    csrf = browser.cookies["csrftoken"]
    signed_in = browser.post(
        login,
        data={"username": "anna", "password": "demo", "csrfmiddlewaretoken": csrf},
        headers={"Referer": login},
        timeout=30,
    )
    assert signed_in.status_code == 200 and "sessionid" in browser.cookies
    login_event = AuditEvent.objects.get(verb="login")
    assert (login_event.source, login_event.actor_id) == ("web", world.people["anna"].pk)
    base = f"{live_server.url}/api/v1"
    listed = browser.get(f"{base}/organizations", timeout=30)
    assert listed.status_code == 200 and [o["id"] for o in listed.json()["items"]] == [world.org.pk]
    assert browser.get(f"{base}/users/me", timeout=30).json()["username"] == "anna"
    before = state(world)
    refused = browser.patch(
        f"{base}/organizations/{world.org.pk}", json={"industry": "x"}, timeout=30
    )
    problem(refused, 403)
    assert state(world) == before
    csrf = browser.cookies["csrftoken"]
    with_csrf = {"X-CSRFToken": csrf, "Referer": login}
    allowed = browser.patch(
        f"{base}/organizations/{world.org.pk}",
        json={"industry": "Handel"},
        headers=with_csrf,
        timeout=30,
    )
    assert allowed.status_code == 200 and allowed.json()["industry"] == "Handel"
    created = browser.post(
        f"{base}/organizations", json={"name": "Browser GmbH"}, headers=with_csrf, timeout=30
    )
    assert created.status_code == 201
    event = AuditEvent.objects.get(verb="create", target_id=str(created.json()["id"]))
    assert (event.source, event.ip, event.actor_id) == ("api", "127.0.0.1", world.people["anna"].pk)


def test_failed_session_login_gives_no_api_access(live_server, browser, world):
    login = f"{live_server.url}/accounts/login/"
    browser.get(login, timeout=30)
    browser.post(login, data={"username": "anna", "password": "wrong",
                              "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                 headers={"Referer": login}, timeout=30)  # fmt: skip
    problem(browser.get(f"{live_server.url}/api/v1/organizations", timeout=30), 401)
    assert AuditEvent.objects.filter(verb="login_failed").count() == 1
    assert not AuditEvent.objects.filter(verb="login").exists()


# --- audit -------------------------------------------------------------------------------------


def test_api_writes_are_audited_with_source_and_ip(api, world):
    token = world.tokens["anna"]
    created = api.post("/people", token=token, json={"last_name": "Audit"}).json()
    api.patch(f"/people/{created['id']}", token=token, json={"first_name": "Anton"})
    api.delete(f"/people/{created['id']}", token=token)
    events = list(
        AuditEvent.objects.filter(target_type="person", target_id=str(created["id"])).order_by("id")
    )
    assert [e.verb for e in events] == ["create", "update", "archive"]
    assert {(e.source, e.ip, e.actor_id) for e in events} == {
        ("api", "127.0.0.1", world.people["anna"].pk)
    }
    assert events[1].changes == {"first_name": ["", "Anton"]}
    listed = api.get(
        f"/audit?target_type=person&target_id={created['id']}&sort=at", token=world.tokens["admin"]
    )
    assert [e["verb"] for e in listed.json()["items"]] == ["create", "update", "archive"]
    assert {e["source"] for e in listed.json()["items"]} == {"api"}
    assert {e["ip"] for e in listed.json()["items"]} == {"127.0.0.1"}


def test_read_only_token_write_is_audited_as_denied(api, world):
    before = state(world)
    response = api.post("/people", token=world.tokens["anna_ro"], json={"last_name": "Nope"})
    problem(response, 403)
    assert state(world) == before
    event = AuditEvent.objects.get(verb="permission_denied")
    assert (event.source, event.ip, event.actor_id) == ("api", "127.0.0.1", world.people["anna"].pk)


def test_row_counts_after_a_successful_session(api, world):
    """Guard the fixtures themselves: the world has one of each record."""
    assert (Organization.objects.count(), Person.objects.count(), Affiliation.objects.count(),
            Activity.objects.count()) == (1, 1, 1, 1)  # fmt: skip
