"""Deal list, detail and form pages through the generic entity mechanism."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.sales.models import Deal
from tests.sales.factories import deal, stages

from .conftest import client_for

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def deals(world) -> dict[str, Deal]:
    people = world.people
    return {
        "anna": deal(
            people["anna"], "Fleet renewal", organization=world.org, amount=Decimal("1234.5")
        ),
        "ben": deal(people["ben"], "Südwind roof", organization=world.other_org),
    }


def test_list_shows_visible_deals_with_money_in_the_users_locale(world, deals):
    client = client_for(world.people["anna"])
    page = html(client.get("/deals/", headers={"accept-language": "de"}))
    assert f'href="/deals/{deals["anna"].pk}/"' in page
    assert "1.234,50\u00a0€" in page
    assert "Südwind roof" not in page
    assert 'href="/deals/" aria-current="page"' not in page  # the nav points at the board
    english = html(client.get("/deals/?status=open", headers={"accept-language": "en"}))
    assert "€1,234.50" in english


def test_detail_shows_amount_stage_and_history_and_others_are_not_found(world, deals):
    client = client_for(world.people["anna"])
    page = html(client.get(f"/deals/{deals['anna'].pk}/", headers={"accept-language": "en"}))
    assert "€1,234.50" in page
    assert "Stage history" in page and "Qualification" in page
    assert f'href="/organizations/{world.org.pk}/"' in page
    assert client.get(f"/deals/{deals['ben'].pk}/").status_code == 404


def test_organisation_page_lists_its_deals_and_offers_a_new_one(world, deals):
    client = client_for(world.people["anna"])
    page = html(client.get(f"/organizations/{world.org.pk}/", headers={"accept-language": "en"}))
    assert f'href="/deals/{deals["anna"].pk}/"' in page
    assert f'href="/deals/new/?organization={world.org.pk}"' in page
    form = html(client.get(f"/deals/new/?organization={world.org.pk}"))
    assert f'<option value="{world.org.pk}" selected>' in form
    assert f'<option value="{world.person.pk}">' in form  # people of that organisation


def test_create_reads_a_german_amount_and_refuses_bad_input(world):
    anna = world.people["anna"]
    client = client_for(anna)
    proposal = stages()["Proposal"]
    data = {
        "title": "Service contract",
        "organization_id": str(world.org.pk),
        "amount": "12.345,67",
        "currency": "eur",
        "stage_id": str(proposal.pk),
        "owner_id": str(anna.pk),
    }
    before = Deal.objects.count()
    bad = client.post(
        "/deals/new/",
        {**data, "amount": "12345.67", "currency": "EUX"},
        headers={"accept-language": "en"},
    )
    assert bad.status_code == 422
    assert "not a known ISO 4217 currency code" in html(bad)
    none = client.post(
        "/deals/new/",
        {**data, "amount": "12345.67", "organization_id": ""},
        headers={"accept-language": "en"},
    )
    assert none.status_code == 422
    assert "Link the deal to an organisation or a person." in html(none)
    english_amount = client.post("/deals/new/", data, headers={"accept-language": "en"})
    assert english_amount.status_code == 422  # "12.345,67" is no English number
    assert Deal.objects.count() == before
    created = client.post("/deals/new/", data, headers={"accept-language": "de"})
    assert created.status_code == 302, re.findall(r"errorlist.{0,200}", html(created))
    new = Deal.objects.get(title="Service contract")
    assert created.status_code == 302 and created["Location"] == f"/deals/{new.pk}/"
    assert (new.amount, new.currency, new.stage, new.probability) == (
        Decimal("12345.67"),
        "EUR",
        proposal,
        proposal.probability,
    )
    assert AuditEvent.objects.filter(target_type="deal", target_id=str(new.pk)).count() == 1


def test_edit_moves_the_stage_and_a_lost_deal_needs_a_reason(world, deals):
    anna = world.people["anna"]
    client = client_for(anna)
    target = deals["anna"]
    lost = stages()["Lost"]
    data = {
        "title": target.title,
        "organization_id": str(world.org.pk),
        "amount": "1234.50",
        "currency": "EUR",
        "stage_id": str(lost.pk),
        "owner_id": str(anna.pk),
        "version": str(target.version),
    }
    refused = client.post(f"/deals/{target.pk}/edit/", data, headers={"accept-language": "en"})
    assert refused.status_code == 422
    assert "Say why the deal was lost." in html(refused)
    assert Deal.objects.get(pk=target.pk).stage_id == target.stage_id
    done = client.post(
        f"/deals/{target.pk}/edit/",
        {**data, "lost_reason": "Too expensive"},
        headers={"accept-language": "en"},
    )
    assert done.status_code == 302
    target.refresh_from_db()
    assert target.stage == lost and target.lost_at is not None


def test_read_only_users_see_no_edit_and_cannot_post(world, deals):
    vera = client_for(world.people["vera"])
    page = html(vera.get(f"/deals/{deals['anna'].pk}/"))
    assert f'href="/deals/{deals["anna"].pk}/edit/"' not in page
    assert vera.post(f"/deals/{deals['anna'].pk}/edit/", {"title": "x"}).status_code == 403
    assert Deal.objects.get(pk=deals["anna"].pk).title == "Fleet renewal"
