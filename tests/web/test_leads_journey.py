"""Leads in a real browser: an inquiry through the public form, converted by a salesperson; axe.

Uses the journeys' Playwright fixtures (Debian's Chromium; skipped without it outside CI) and
the accessibility suite's axe-core runner. Screenshots go to artifacts/. Fields are found by
their ids, so the journey does not depend on the German catalogue of the new texts.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kundenwert.contacts.models import Organization
from kundenwert.sales.models import Deal, Lead
from tests.sales.factories import default_pipeline, stages

# The browser fixtures of the journeys and the axe runner; importing makes them available here.
from .test_accessibility import axe_page, violations  # noqa: F401
from .test_journeys import browser, page, shot, sign_in  # noqa: F401

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture skips (or fails in CI)
    expect = None

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def lead_settings(settings):
    """Inquiries go to team Nord (anna's); a second is enough time to fill in the form."""
    settings.LEAD_INTAKE_TEAM = "Nord"
    settings.LEAD_FORM_MIN_SECONDS = 1


def fill_inquiry(tab, **values) -> None:
    for name, value in values.items():
        tab.locator(f"#id_{name}").fill(value)


def test_an_inquiry_becomes_a_customer_with_a_deal(page, world, lead_settings):  # noqa: F811
    proposal = stages(default_pipeline())["Proposal"]
    page.goto("/inquiry/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fill_inquiry(
        page,
        name="Greta Sommer",
        email="greta@leuchtfeuer.example",
        company="Leuchtfeuer KG",
        phone="040 1234567",
        message="Wir brauchen 20 Lizenzen <bitte bald>.",
    )
    expect(page.locator("#id_website_url")).not_to_be_in_viewport()  # the trap is out of sight
    page.wait_for_timeout(1200)  # a person takes longer than the minimum fill time
    shot(page, "lead-inquiry-form")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/inquiry/thanks/$"))
    inquiry = Lead.objects.get()
    assert (inquiry.email, inquiry.phone, inquiry.owner_id, inquiry.language) == (
        "greta@leuchtfeuer.example",
        "+49401234567",
        None,
        "de",
    )
    assert inquiry.message == "Wir brauchen 20 Lizenzen <bitte bald>."

    sign_in(page)  # anna, sales in team Nord: the intake pool is her team's
    page.goto(f"/leads/{inquiry.pk}/convert/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Greta Sommer")
    expect(page.locator("#lead-message")).to_have_text("Wir brauchen 20 Lizenzen <bitte bald>.")
    page.locator('input[name="organization"][value="new"]').check()
    page.locator('input[name="person"][value="new"]').check()
    expect(page.locator("#id_create_deal")).to_be_checked()
    page.locator("#id_deal_title").fill("20 Lizenzen")
    page.locator("#id_deal_amount").fill("2.400,00")
    page.locator("#id_deal_stage").select_option(str(proposal.pk))
    shot(page, "lead-convert")
    page.locator("main form button[type=submit]").click()

    customer = Organization.objects.get(name="Leuchtfeuer KG")
    expect(page).to_have_url(re.compile(rf"/organizations/{customer.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leuchtfeuer KG")
    deal = Deal.objects.get()
    expect(page.get_by_role("link", name="20 Lizenzen")).to_have_attribute(
        "href", f"/deals/{deal.pk}/"
    )
    expect(page.get_by_role("link", name="Greta Sommer")).to_be_visible()
    assert (deal.organization, deal.amount, deal.stage, deal.owner) == (
        customer,
        Decimal("2400.00"),
        proposal,
        world.people["anna"],
    )
    assert Lead.objects.get().status == "converted"
    shot(page, "lead-converted-organisation")


def test_the_inquiry_form_has_no_serious_accessibility_violations(axe_page, world, lead_settings):  # noqa: F811
    axe_page.goto("/inquiry/")
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(axe_page) == []
    # With field errors shown.
    fill_inquiry(axe_page, name="Greta", email="kaputt")
    axe_page.wait_for_timeout(1200)
    axe_page.locator("main form button[type=submit]").click()
    expect(axe_page.locator(".errorlist").first).to_be_visible()
    assert violations(axe_page) == []
    assert Lead.objects.count() == 0


def test_the_conversion_page_has_no_serious_accessibility_violations(
    axe_page,  # noqa: F811
    world,
    lead_settings,
):
    from tests.sales.lead_factories import public_lead

    inquiry = public_lead("Greta Sommer", "greta@nordlicht.example", company="Nordlicht GmbH")
    sign_in(axe_page)
    axe_page.goto(f"/leads/{inquiry.pk}/convert/")
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(axe_page) == []
