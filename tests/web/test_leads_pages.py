"""The public inquiry form and the lead conversion page, through Django's test client."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client

from kundenwert.contacts.models import Organization, Person
from kundenwert.sales.models import Deal, Lead
from kundenwert.web.leads import INQUIRY_SALT, inquiry_stamp, seconds_since_shown
from tests.contacts.factories import org, person
from tests.sales.factories import stages
from tests.sales.lead_factories import lead, lead_rows, public_lead, sales_rows

from .conftest import client_for

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}


def html(response) -> str:
    return response.content.decode()


def _form(**overrides) -> dict:
    """A filled-in inquiry whose form was shown ten seconds ago."""
    return {
        "name": "Petra Paulsen",
        "email": "petra@example.com",
        "company": "Leuchtfeuer KG",
        "phone": "",
        "message": "Please call me.",
        "started": inquiry_stamp(time.time() - 10),
        "website_url": "",
        **overrides,
    }


def _post(client: Client, data: dict, *, ip: str = "203.0.113.9", headers=EN):
    return client.post("/inquiry/", data, REMOTE_ADDR=ip, headers=headers)


def _stored() -> tuple:
    return lead_rows(), sales_rows()


# --- the public inquiry form ---------------------------------------------------------------------


def test_the_form_needs_no_sign_in_and_speaks_the_visitors_language(db):
    client = Client()
    english = client.get("/inquiry/", headers=EN)
    assert english.status_code == 200
    page = html(english)
    assert '<html lang="en">' in page
    assert 'name="csrfmiddlewaretoken"' in page and 'name="started"' in page
    assert 'name="website_url"' in page and 'tabindex="-1"' in page
    assert 'autocomplete="email"' in page
    assert "no-store" in english["Cache-Control"]
    german = client.get("/inquiry/", headers={"accept-language": "de"})
    assert '<html lang="de">' in html(german)


def test_an_inquiry_is_stored_in_the_pool_with_the_visitors_language(people, settings):
    settings.LEAD_INTAKE_TEAM = "Nord"
    page = html(Client().get("/inquiry/?utm_campaign=spring", headers=EN))
    assert re.search(r'name="campaign" value="spring"', page)
    response = _post(
        Client(), _form(phone="030 1234567", campaign="spring"), headers={"accept-language": "de"}
    )
    assert response.status_code == 302 and response["Location"] == "/inquiry/thanks/"
    stored = Lead.objects.get()
    assert (stored.name, stored.company, stored.phone, stored.language) == (
        "Petra Paulsen",
        "Leuchtfeuer KG",
        "+49301234567",
        "de",
    )
    assert (stored.owner_id, stored.team.name, stored.submitted_ip) == (None, "Nord", "203.0.113.9")
    assert (stored.source_channel, stored.source_campaign) == ("web", "spring")
    thanks = Client().get("/inquiry/thanks/", headers=EN)
    assert "Thank you for your inquiry" in html(thanks)


def test_the_spam_trap_answers_like_a_success_and_stores_nothing(db):
    before = _stored()
    response = _post(Client(), _form(website_url="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == "/inquiry/thanks/"
    assert _stored() == before


@pytest.mark.parametrize(
    ("started", "message"),
    [
        (lambda: inquiry_stamp(), "That was quick!"),
        (lambda: "", "The form has expired."),
        (lambda: inquiry_stamp(time.time() - 10)[:-2] + "xx", "The form has expired."),
        (lambda: signing.dumps("soon", salt=INQUIRY_SALT), "The form has expired."),
    ],
)
def test_a_form_sent_too_fast_or_with_a_bad_stamp_is_shown_again(db, started, message):
    before = _stored()
    response = _post(Client(), _form(started=started()))
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert 'value="Petra Paulsen"' in page  # the visitor's input is kept
    assert _stored() == before


def test_a_stamp_signed_more_than_a_day_ago_has_expired_and_is_renewed(db, monkeypatch):
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 2 * 24 * 3600)
    stale = inquiry_stamp()
    monkeypatch.undo()
    response = _post(Client(), _form(started=stale))
    assert response.status_code == 422
    assert "The form has expired." in html(response)
    fresh = re.search(r'name="started" value="([^"]+)"', html(response)).group(1)
    assert fresh != stale and 0 <= seconds_since_shown(fresh) < 5
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"email": "not-an-address"}, "is not a valid email address"),
        ({"name": ""}, "This field is required."),
        ({"phone": "call me maybe"}, "is not a valid phone number"),
        ({"message": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_stores_nothing(db, overrides, field_message):
    before = _stored()
    response = _post(Client(), _form(**overrides))
    assert response.status_code == 422
    assert field_message in html(response)
    assert 'class="errorlist"' in html(response)
    assert _stored() == before


def test_markup_is_stored_as_text_and_shown_escaped(people, settings):
    settings.LEAD_INTAKE_TEAM = "Nord"
    text = '<script>alert("x")</script><b>bold</b>\nsecond line'
    assert _post(Client(), _form(message=text, company="<i>ACME</i>")).status_code == 302
    stored = Lead.objects.get()
    assert stored.message == text
    page = html(client_for(people["anna"]).get(f"/leads/{stored.pk}/convert/", headers=EN))
    assert "<script>alert" not in page and "<b>bold</b>" not in page and "<i>ACME" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;<br>" in page
    assert "&lt;i&gt;ACME&lt;/i&gt;" in page


def test_the_rate_limit_stops_the_sixth_inquiry_from_one_address(db):
    client = Client()
    for n in range(5):
        assert _post(client, _form(email=f"p{n}@example.com")).status_code == 302
    before = _stored()
    response = _post(client, _form(email="p6@example.com"))
    assert response.status_code == 429
    assert "Too many inquiries from your address" in html(response)
    assert _stored() == before
    assert _post(client, _form(), ip="198.51.100.1").status_code == 302  # another address


def test_the_form_is_protected_by_csrf(db):
    client = Client(enforce_csrf_checks=True)
    before = _stored()
    response = _post(client, _form())
    assert response.status_code == 403
    assert _stored() == before
    # With the token from the page it goes through.
    page = html(client.get("/inquiry/", headers=EN))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert _post(client, _form(csrfmiddlewaretoken=token)).status_code == 302


# --- the conversion page -------------------------------------------------------------------------


@pytest.fixture
def inquiry(world, settings) -> Lead:
    """A pooled inquiry of team Nord from somebody at world.org's domain."""
    settings.LEAD_INTAKE_TEAM = "Nord"
    return public_lead(
        "Greta Hansen",
        "greta@leuchtfeuer.example",
        company="Leuchtfeuer KG",
        message="Wir brauchen 20 Lizenzen.",
    )


def test_the_page_shows_the_lead_and_its_candidates(world, inquiry):
    existing = org(world.people["anna"], "Leuchtfeuer", legal_form="GmbH")
    response = client_for(world.people["anna"]).get(f"/leads/{inquiry.pk}/convert/", headers=EN)
    assert response.status_code == 200
    page = html(response)
    assert "Convert lead: Greta Hansen" in page
    assert "Wir brauchen 20 Lizenzen." in page
    assert 'value="new"' in page and 'value="none"' in page
    assert f'value="{existing.pk}"' in page and "similar name" in page
    assert 'name="deal_title" value="Leuchtfeuer KG"' in page


def test_converting_with_a_new_organisation_redirects_to_it(world, inquiry):
    anna = world.people["anna"]
    client = client_for(anna)
    proposal = stages()["Proposal"]
    response = client.post(
        f"/leads/{inquiry.pk}/convert/",
        {
            "version": inquiry.version,
            "organization": "new",
            "person": "new",
            "create_deal": "on",
            "deal_title": "20 Lizenzen",
            "deal_amount": "2.400,50",
            "deal_currency": "eur",
            "deal_stage": proposal.pk,
            "deal_expected_close_date": "2027-03-31",
        },
        headers={"accept-language": "de"},
    )
    stored = Lead.objects.get(pk=inquiry.pk)
    assert stored.status == "converted"
    new_org = stored.converted_organization
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/{new_org.pk}/"
    deal = Deal.objects.get()
    assert (deal.title, deal.amount, deal.currency, deal.stage) == (
        "20 Lizenzen",
        Decimal("2400.50"),
        "EUR",
        proposal,
    )
    assert (deal.organization, deal.person, stored.owner) == (
        new_org,
        stored.converted_person,
        anna,
    )
    organisation_page = html(client.get(response["Location"], headers=EN))
    assert "20 Lizenzen" in organisation_page and "Greta Hansen" in organisation_page
    # The page of a converted lead says so and links the customer.
    again = html(client.get(f"/leads/{inquiry.pk}/convert/", headers=EN))
    assert "This lead has already been converted." in again
    assert f'href="/organizations/{new_org.pk}/"' in again
    assert 'name="organization"' not in again


def test_converting_into_existing_records_without_a_deal(world, inquiry):
    anna = world.people["anna"]
    existing_org = org(anna, "Leuchtfeuer", website="https://leuchtfeuer.example")
    existing_person = person(anna, "Hansen", emails=["Greta@leuchtfeuer.example"])
    client = client_for(anna)
    form = html(client.get(f"/leads/{inquiry.pk}/convert/", headers=EN))
    # Strong matches are preselected: the same email domain, the same address.
    assert re.search(rf'value="{existing_org.pk}"[^>]* checked', form)
    assert re.search(rf'value="{existing_person.pk}"[^>]* checked', form)
    response = client.post(
        f"/leads/{inquiry.pk}/convert/",
        {
            "version": inquiry.version,
            "organization": str(existing_org.pk),
            "person": str(existing_person.pk),
            "deal_currency": "EUR",
        },
        headers=EN,
    )
    assert response.status_code == 302, html(response)[:2000]
    assert response["Location"] == f"/organizations/{existing_org.pk}/"
    assert Organization.objects.count() == 3 and Person.objects.count() == 2  # none new
    assert Deal.objects.count() == 0
    stored = Lead.objects.get(pk=inquiry.pk)
    assert (stored.converted_organization, stored.converted_person) == (
        existing_org,
        existing_person,
    )
    # Only offered records can be chosen.
    other = lead(anna, "Olaf", company="Ostwind")
    refused = client.post(
        f"/leads/{other.pk}/convert/",
        {"version": other.version, "organization": str(world.org.pk), "person": "new"},
        headers=EN,
    )
    assert refused.status_code == 422
    assert Lead.objects.get(pk=other.pk).status == "new"


def test_a_bad_deal_shows_the_error_and_creates_nothing(world, inquiry):
    client = client_for(world.people["anna"])
    before = (_stored(), Organization.objects.count(), Person.objects.count())
    response = client.post(
        f"/leads/{inquiry.pk}/convert/",
        {
            "version": inquiry.version,
            "organization": "new",
            "person": "new",
            "create_deal": "on",
            "deal_title": "20 Lizenzen",
            "deal_currency": "XXY",
        },
        headers=EN,
    )
    assert response.status_code == 422
    assert 'id="id_deal_currency_error"' in html(response)
    assert (_stored(), Organization.objects.count(), Person.objects.count()) == before
    stale = client.post(
        f"/leads/{inquiry.pk}/convert/",
        {"version": inquiry.version + 5, "organization": "none", "person": "new"},
        headers=EN,
    )
    assert stale.status_code == 412
    assert (_stored(), Organization.objects.count(), Person.objects.count()) == before


def test_others_may_not_convert(world, inquiry):
    own = lead(world.people["anna"], "Petra", company="Nordlicht")
    ben = client_for(world.people["ben"])
    assert ben.get(f"/leads/{inquiry.pk}/convert/").status_code == 404
    assert ben.post(f"/leads/{own.pk}/convert/", {"person": "new"}).status_code == 404
    vera = client_for(world.people["vera"])  # reads every lead, changes none
    before = _stored()
    assert vera.get(f"/leads/{own.pk}/convert/").status_code == 403
    assert vera.post(f"/leads/{own.pk}/convert/", {"person": "new"}).status_code == 403
    assert _stored() == before
    assert Client().get(f"/leads/{own.pk}/convert/").status_code == 302  # to the sign-in
