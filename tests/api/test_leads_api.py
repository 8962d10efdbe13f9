"""The leads resource over real HTTP: shapes, ETags, conversion, and the public form endpoint."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kundenwert.api.leads import CandidatesOut, LeadOut
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization, Person
from kundenwert.sales.models import Deal, Lead
from tests.conftest import issue_token
from tests.sales.factories import stages
from tests.sales.lead_factories import lead, lead_rows, sales_rows

from .conftest import LIVE, PROBLEM_KEYS

pytestmark = LIVE


def problem(response: requests.Response, status: int) -> dict:
    """Assert an error response: the status, and a body of exactly code, detail and errors."""
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    return body


def _stored() -> tuple:
    return lead_rows(), sales_rows(), Organization.objects.count(), Person.objects.count()


# --- the resource --------------------------------------------------------------------------------


def test_create_read_change_archive_and_restore(api, world):
    token = world.tokens["anna"]
    created = api.post(
        "/leads",
        token=token,
        json={
            "name": "Petra Paulsen",
            "email": "petra@NORDLICHT.example",
            "phone": "030 1234567",
            "company": "Nordlicht GmbH",
            "source_channel": "event",
            "message": "Call me",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == set(LeadOut.model_fields)
    assert (body["email"], body["phone"], body["status"]) == (
        "petra@nordlicht.example",
        "+49301234567",
        "new",
    )
    assert (body["owner_id"], body["team_id"]) == (world.people["anna"].pk, world.team.pk)
    lead_id = body["id"]
    assert created.headers["ETag"] == f'"{lead_id}-1"'
    fetched = api.get(f"/leads/{lead_id}", token=token)
    assert fetched.json() == body and fetched.headers["ETag"] == created.headers["ETag"]
    stale = api.patch(
        f"/leads/{lead_id}", token=token, json={"company": "X"}, headers={"If-Match": '"1-9"'}
    )
    problem(stale, 412)
    changed = api.patch(
        f"/leads/{lead_id}",
        token=token,
        json={"company": "Nordlicht AG", "name": None, "owner_id": None},
        headers={"If-Match": created.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["company"], changed.json()["name"]) == ("Nordlicht AG", "Petra Paulsen")
    assert changed.json()["owner_id"] is None  # back to the pool of team Nord: anna still sees it
    assert changed.headers["ETag"] == f'"{lead_id}-2"'
    bad = problem(api.patch(f"/leads/{lead_id}", token=token, json={"email": "nope"}), 422)
    assert set(bad["errors"]) == {"email"}
    archived = api.delete(f"/leads/{lead_id}", token=token)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    problem(api.post(f"/leads/{lead_id}/qualify", token=token), 409)
    restored = api.post(f"/leads/{lead_id}/restore", token=token)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None


def test_create_refuses_bad_input_with_field_messages(api, world):
    before = _stored()
    for payload, field in (
        ({"name": ""}, "name"),
        ({"name": "P", "email": "broken@"}, "email"),
        ({"name": "P", "status": "converted"}, "status"),
        ({"name": "P", "message": "x" * 5001}, "message"),
        ({"name": "P", "owner_id": True}, "owner_id"),
    ):
        body = problem(api.post("/leads", token=world.tokens["anna"], json=payload), 422)
        assert field in body["errors"], body
    assert _stored() == before


def test_list_filters_and_search(api, world):
    anna = world.people["anna"]
    first = lead(anna, "Petra Paulsen", company="Nordlicht")
    second = lead(anna, "Olaf Ostwind", company="Ostwind", owner_id=None)
    token = world.tokens["anna"]

    def ids(query: str) -> list[int]:
        response = api.get(f"/leads{query}", token=token)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"items", "next_cursor"}
        return [item["id"] for item in response.json()["items"]]

    assert ids("") == [second.pk, first.pk]
    assert ids("?sort=name") == [second.pk, first.pk]
    assert ids("?unassigned=true") == [second.pk]
    assert ids("?q=nordl") == [first.pk]
    assert ids("?status=new&limit=1") == [second.pk]
    problem(api.get("/leads?status=hot", token=token), 400)
    problem(api.get("/leads?colour=red", token=token), 400)
    assert api.get("/leads", token=world.tokens["ben"]).json()["items"] == []


def test_qualify_and_disqualify(api, world):
    created = lead(world.people["anna"], "Petra")
    token = world.tokens["anna"]
    body = problem(api.post(f"/leads/{created.pk}/disqualify", token=token, json={}), 422)
    assert set(body["errors"]) == {"reason"}
    out = api.post(
        f"/leads/{created.pk}/disqualify", token=token, json={"reason": "No budget"}
    ).json()
    assert (out["status"], out["disqualify_reason"]) == ("disqualified", "No budget")
    problem(api.post(f"/leads/{created.pk}/convert", token=token, json={}), 409)
    out = api.post(f"/leads/{created.pk}/qualify", token=token).json()
    assert (out["status"], out["disqualify_reason"], out["version"]) == ("qualified", "", 3)


def test_convert_with_a_new_organisation_and_a_deal(api, world):
    created = lead(
        world.people["anna"], "Petra Paulsen", company="Leuchtfeuer KG", email="petra@lf.example"
    )
    proposal = stages()["Proposal"]
    response = api.post(
        f"/leads/{created.pk}/convert",
        token=world.tokens["anna"],
        json={"deal": {"title": "Licences", "amount": "1200.50", "stage_id": proposal.pk}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "converted" and body["converted_at"] is not None
    new_org = Organization.objects.get(pk=body["converted_organization_id"])
    deal = Deal.objects.get(pk=body["converted_deal_id"])
    assert new_org.name == "Leuchtfeuer KG"
    assert (deal.amount, deal.stage, deal.person_id) == (
        Decimal("1200.50"),
        proposal,
        body["converted_person_id"],
    )
    assert Affiliation.objects.filter(
        organization=new_org, person_id=body["converted_person_id"]
    ).exists()
    problem(api.post(f"/leads/{created.pk}/convert", token=world.tokens["anna"], json={}), 409)


def test_a_failed_conversion_creates_nothing(api, world):
    created = lead(world.people["anna"], "Petra Paulsen", company="Leuchtfeuer KG")
    before = _stored()
    for payload, field in (
        ({"deal": {"currency": "XXY"}}, "deal.currency"),
        ({"deal": {"amount": 12.5}}, "deal.amount"),
        ({"deal": {"stage_id": 999_999}}, "deal.stage_id"),
        ({"organization_id": world.org.pk + 1000}, "organization_id"),
        ({"create_deal": "yes"}, "create_deal"),
    ):
        response = api.post(
            f"/leads/{created.pk}/convert", token=world.tokens["anna"], json=payload
        )
        body = problem(response, 422)
        assert field in body["errors"], body
    assert _stored() == before


def test_candidates_name_the_matching_records(api, world):
    created = lead(
        world.people["anna"],
        "Petra Paulsen",
        company="Nordlicht GmbH",
        email="petra@nordlicht.example",
    )
    response = api.get(f"/leads/{created.pk}/candidates", token=world.tokens["anna"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == set(CandidatesOut.model_fields)
    assert body["organizations"] == [
        {"id": world.org.pk, "name": "Nordlicht GmbH", "domain": "", "reasons": ["name"]}
    ]
    assert body["people"] == [
        {
            "id": world.person.pk,
            "name": "Petra Paulsen",
            "emails": ["petra@nordlicht.example"],
            "phones": [],
            "reasons": ["email"],
        }
    ]
    problem(api.get(f"/leads/{created.pk}/candidates", token=world.tokens["ben"]), 404)


# --- the public form endpoint ----------------------------------------------------------------

FORM = {"name": "Petra Paulsen", "email": "petra@example.com", "message": "Please call."}


def _public(api, *, headers=None, **kwargs) -> requests.Response:
    """POST to the public endpoint, asking for English answers."""
    return api.post("/leads/public", headers={"Accept-Language": "en", **(headers or {})}, **kwargs)


def test_a_public_inquiry_is_accepted_as_json_and_as_a_form(api, world, settings):
    settings.LEAD_INTAKE_TEAM = "Nord"
    first = _public(api, json={**FORM, "campaign": "spring"}, headers={"Accept-Language": "en"})
    assert first.status_code == 202, first.text
    assert first.json() == {"detail": "Thank you. We will get back to you soon."}
    assert "Access-Control-Allow-Origin" not in first.headers
    second = _public(api, data={**FORM, "email": "olaf@example.com", "submit": "Send"})
    assert second.status_code == 202, second.text
    stored = list(Lead.objects.order_by("pk"))
    assert [(x.email, x.owner_id, x.team_id, x.source_channel) for x in stored] == [
        ("petra@example.com", None, world.team.pk, "web"),
        ("olaf@example.com", None, world.team.pk, "web"),
    ]
    assert (stored[0].source_campaign, stored[0].language, stored[0].submitted_ip) == (
        "spring",
        "en",
        "127.0.0.1",
    )
    event = AuditEvent.objects.get(target_type="lead", target_id=str(stored[0].pk))
    assert (event.actor_id, event.source, event.ip) == (None, "web", "127.0.0.1")
    # The pooled lead is anna's team's to work on.
    assert api.get(f"/leads/{stored[0].pk}", token=world.tokens["anna"]).status_code == 200


def test_hostile_public_input_stores_nothing(api, world):
    before = _stored()
    trapped = _public(api, json={**FORM, "website_url": "http://spam.example"})
    assert trapped.status_code == 202  # indistinguishable from a real success
    assert trapped.json() == {"detail": "Thank you. We will get back to you soon."}
    cases = [
        ({"json": {**FORM, "email": "no-address"}}, 422, "email"),
        ({"json": {**FORM, "message": "x" * 5001}}, 422, "message"),
        ({"json": {"email": "petra@example.com"}}, 422, "name"),
        ({"json": {**FORM, "name": {"$gt": ""}}}, 422, "name"),
        ({"json": [FORM]}, 422, "__all__"),
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 422, "__all__"),
        ({"data": "name=x", "headers": {"Content-Type": "text/plain"}}, 415, None),
        ({"json": {**FORM, "message": "x" * 70_000}}, 413, None),
    ]
    for kwargs, status, field in cases:
        body = problem(_public(api, **kwargs), status)
        if field:
            assert field in body["errors"], body
    assert _stored() == before


def test_markup_is_stored_as_text(api, world):
    text = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    assert _public(api, json={**FORM, "message": text}).status_code == 202
    assert Lead.objects.get().message == text


def test_the_rate_limit_answers_429_after_five_inquiries_per_address(api, world):
    for n in range(5):
        response = _public(api, json={**FORM, "email": f"p{n}@example.com"})
        assert response.status_code == 202, response.text
    before = _stored()
    limited = problem(_public(api, json=FORM), 429)
    assert limited["code"] == "rate_limited"
    assert _public(api, json=FORM).headers["Retry-After"] == "600"
    assert _stored() == before


def test_only_listed_origins_may_post_from_a_browser(api, world, settings, live_server):
    settings.LEAD_FORM_ORIGINS = ["https://www.example.com"]
    before = _stored()
    refused = _public(api, json=FORM, headers={"Origin": "https://evil.example"})
    assert problem(refused, 403)["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert _stored() == before
    preflight = api.request(
        "OPTIONS",
        "/leads/public",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403
    allowed = api.request(
        "OPTIONS",
        "/leads/public",
        headers={
            "Origin": "https://www.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Allow-Headers"] == "Content-Type"
    posted = _public(api, json=FORM, headers={"Origin": "https://www.example.com"})
    assert posted.status_code == 202
    assert posted.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    # Errors carry the header too, so the embedding page can show them.
    invalid = _public(
        api, json={**FORM, "email": "x"}, headers={"Origin": "https://www.example.com"}
    )
    assert invalid.status_code == 422
    assert invalid.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    # The site itself is always allowed (same origin); without a setting only the site is.
    settings.LEAD_FORM_ORIGINS = []
    same = _public(
        api, json={**FORM, "email": "same@example.com"}, headers={"Origin": live_server.url}
    )
    assert same.status_code == 202
    problem(_public(api, json=FORM, headers={"Origin": "https://www.example.com"}), 403)
    assert Lead.objects.count() == 2


def test_the_public_endpoint_needs_no_credentials_but_ignores_them(api, world):
    # A token does not make the inquiry anybody's: it stays anonymous.
    response = _public(api, json=FORM, token=world.tokens["anna"])
    assert response.status_code == 202
    stored = Lead.objects.get()
    assert stored.owner_id is None
    assert AuditEvent.objects.get(target_type="lead").actor_id is None
    assert json.loads(response.content) == {"detail": "Thank you. We will get back to you soon."}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_other_methods_on_the_public_endpoint_are_not_allowed(api, world, method):
    assert api.request(method, "/leads/public").status_code == 405


def test_the_list_costs_a_constant_number_of_queries(people):
    """Two queries per page whatever its size: the token, then the page (permissions cached)."""
    for n in range(30):
        lead(people["anna"], f"Lead {n}", company=f"Firma {n}", email=f"l{n}@example.com")
    client, token = Client(), issue_token(people["anna"])
    client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}")  # touch last_used_at
    counts = []
    for limit in (2, 30):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(
                f"/api/v1/leads?limit={limit}", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
        assert len(response.json()["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts == [2, 2]
