"""The deal board in a real browser: drag a card to the next column; keyboard moves; axe.

Uses the journeys' Playwright fixtures (Debian's Chromium; skipped without it outside CI) and
the accessibility suite's axe-core runner. Screenshots go to artifacts/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kundenwert.sales.models import Deal
from kundenwert.sales.services import deal_create

# The browser fixtures of the journeys and the axe runner; importing makes them available here.
from tests.sales.factories import default_pipeline, stages

from .test_accessibility import axe_page, violations  # noqa: F401
from .test_journeys import browser, page, shot, sign_in  # noqa: F401

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture skips (or fails in CI)
    expect = None

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def board_deals(world) -> dict:
    anna = world.people["anna"]
    s = stages(default_pipeline())

    def make(title, amount, stage, **data):
        return deal_create(
            actor=anna,
            data={
                "title": title,
                "organization_id": world.org.pk,
                "amount": Decimal(amount),
                "stage_id": s[stage].pk,
                **data,
            },
        )

    return {
        "stages": s,
        "drag": make("Lizenzen 2027", "1200.00", "Qualification"),
        "keys": make("Wartungsvertrag", "480.00", "Needs analysis"),
        "usd": make("Export USA", "300.00", "Proposal", currency="USD"),
        "lose": make("Pilotprojekt", "90.00", "Proposal"),
    }


def column(tab, stage):
    return tab.locator(f'.board-column[data-stage-id="{stage.pk}"]')


def test_drag_a_card_to_the_next_column(page, world, board_deals):  # noqa: F811
    s, deal = board_deals["stages"], board_deals["drag"]
    sign_in(page)
    page.goto("/deals/board/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state()  # deals.js is deferred
    card = page.locator(f"#deal-{deal.pk}")
    expect(column(page, s["Qualification"]).locator(f"#deal-{deal.pk}")).to_be_visible()
    page.evaluate("window.kundenwertMarker = 7")  # survives only if no page load happens
    card.drag_to(column(page, s["Needs analysis"]))
    moved = column(page, s["Needs analysis"]).locator(f"#deal-{deal.pk}")
    expect(moved).to_be_visible()
    expect(page.locator(".board-message")).to_contain_text("Lizenzen 2027")
    assert page.evaluate("window.kundenwertMarker") == 7
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.probability, stored.version) == (s["Needs analysis"].pk, 25, 2)
    # The column totals follow: 1.200,00 € now counts in "Needs analysis" (25 % → 300,00 €).
    totals = column(page, s["Needs analysis"]).locator(".board-totals")
    expect(totals).to_contain_text("1.680,00\u00a0€")
    expect(totals).to_contain_text("420,00\u00a0€")
    shot(page, "deals-board-after-drag")


def test_keyboard_move_and_a_lost_reason(page, world, board_deals):  # noqa: F811
    s = board_deals["stages"]
    keys, lose = board_deals["keys"], board_deals["lose"]
    sign_in(page)
    page.goto("/deals/board/")
    page.wait_for_load_state()
    # Without a mouse: the card's own "move to" select and button.
    page.locator(f"#move-{keys.pk}").select_option(str(s["Proposal"].pk))
    page.locator(f"#deal-{keys.pk}").get_by_role("button").click()
    expect(column(page, s["Proposal"]).locator(f"#deal-{keys.pk}")).to_be_visible()
    expect(page.locator(f"#move-{keys.pk}")).to_be_focused()
    assert Deal.objects.get(pk=keys.pk).stage_id == s["Proposal"].pk
    # Lost needs a reason: the card asks for it, and nothing moved meanwhile.
    page.locator(f"#move-{lose.pk}").select_option(str(s["Lost"].pk))
    page.locator(f"#deal-{lose.pk}").get_by_role("button").click()
    reason = page.locator(f"#lost-reason-{lose.pk}")
    expect(reason).to_be_focused()
    expect(page.locator(".board-message")).to_have_attribute("role", "alert")
    assert Deal.objects.get(pk=lose.pk).stage_id == s["Proposal"].pk
    shot(page, "deals-board-lost-reason")
    reason.fill("Kein Budget")
    page.locator(f"#deal-{lose.pk} form button[type=submit]").click()
    expect(column(page, s["Lost"]).locator(f"#deal-{lose.pk}")).to_be_visible()
    stored = Deal.objects.get(pk=lose.pk)
    assert (stored.stage_id, stored.lost_reason) == (s["Lost"].pk, "Kein Budget")


def test_the_board_has_no_serious_accessibility_violations(axe_page, world, board_deals):  # noqa: F811
    s, lose = board_deals["stages"], board_deals["lose"]
    sign_in(axe_page)
    axe_page.goto("/deals/board/")
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(axe_page) == []
    # The refused move with its reason form, too.
    axe_page.wait_for_load_state()
    axe_page.locator(f"#move-{lose.pk}").select_option(str(s["Lost"].pk))
    axe_page.locator(f"#deal-{lose.pk}").get_by_role("button").click()
    expect(axe_page.locator(f"#lost-reason-{lose.pk}")).to_be_visible()
    assert violations(axe_page) == []
