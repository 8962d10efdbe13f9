"""The deal board page with Django's test client: columns and totals, moves and refused moves."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kundenwert.audit.models import AuditEvent
from kundenwert.core.money import format_money
from kundenwert.sales.models import Deal
from kundenwert.sales.services import deal_create, pipeline_create
from tests.sales.factories import default_pipeline, sales_rows, stages

from .conftest import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


def column_html(page: str, stage_id: int) -> str:
    """The markup of one board column (up to the next column)."""
    start = page.index(f'data-stage-id="{stage_id}"')
    end = page.find('data-stage-id="', start + 1)
    return page[start : end if end > 0 else len(page)]


@pytest.fixture
def deals(world) -> dict:
    anna, carl, ben = world.people["anna"], world.people["carl"], world.people["ben"]
    s = stages(default_pipeline())

    def make(actor, title, organization, amount, **data):
        return deal_create(
            actor=actor,
            data={
                "title": title,
                "organization_id": organization.pk,
                "amount": Decimal(amount),
                **data,
            },
        )

    carls_org = world.org  # carl is anna's teammate: he sees her organisation
    return {
        "stages": s,
        "a": make(anna, "Lizenzen Nord", world.org, "1000.00", stage_id=s["Proposal"].pk),
        "b": make(anna, "Wartung", world.org, "333.33", stage_id=s["Proposal"].pk),
        "usd": make(anna, "Export", world.org, "200.00", currency="USD", stage_id=s["Proposal"].pk),
        "carl": make(carl, "Carls Projekt", carls_org, "50.00"),
        "ben": make(ben, "Südwind Deal", world.other_org, "777.00"),
    }


def test_the_board_shows_columns_cards_and_totals_per_currency(world, deals):
    anna = client_for(world.people["anna"])
    response = anna.get("/deals/board/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["web/deals/board.html", "web/base.html"]
    assert "Content-Security-Policy" in response
    page = html(response)
    s = deals["stages"]
    proposal = column_html(page, s["Proposal"].pk)
    # German formatting (the default language): one line per currency, never a mixed sum.
    for text in (
        format_money(Decimal("1333.33"), "EUR", "de_DE"),
        format_money(Decimal("666.67"), "EUR", "de_DE"),  # 500 + 166.665 → 666.67
        format_money(Decimal("200.00"), "USD", "de_DE"),
        format_money(Decimal("100.00"), "USD", "de_DE"),
    ):
        assert text in proposal, text
    assert "Lizenzen Nord" in proposal and "Wartung" in proposal
    qualification = column_html(page, s["Qualification"].pk)
    assert "Carls Projekt" in qualification
    assert "Südwind Deal" not in page  # ben's deal (team Süd) is hidden from anna
    assert "<script>" not in page.split("</main>")[0].split("<main")[1].replace(
        '<script src="/static/web/deals.js" defer></script>', ""
    )
    assert 'src="/static/web/deals.js"' in page
    # anna may move her own cards, not her teammate's.
    assert f'id="move-{deals["a"].pk}"' in page
    assert f'id="move-{deals["carl"].pk}"' not in page
    assert re.search(rf'id="deal-{deals["a"].pk}"[^>]*draggable="true"', page)


def test_a_move_without_javascript_redirects_back_to_the_board(world, deals):
    anna, deal, s = client_for(world.people["anna"]), deals["a"], deals["stages"]
    response = anna.post(
        f"/deals/{deal.pk}/move/",
        {"stage_id": s["Negotiation"].pk, "version": deal.version, "board": deal.pipeline_id},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/deals/board/{deal.pipeline_id}/"
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.probability, stored.version) == (s["Negotiation"].pk, 75, 2)
    page = html(anna.get(response["Location"]))
    assert "Lizenzen Nord" in column_html(page, s["Negotiation"].pk)
    assert "Lizenzen Nord" not in column_html(page, s["Proposal"].pk)


def test_a_move_from_the_script_answers_with_the_board_fragment(world, deals):
    anna, deal, s = client_for(world.people["anna"]), deals["b"], deals["stages"]
    response = anna.post(f"/deals/{deal.pk}/move/", {"stage_id": s["Won"].pk}, **HTMX)
    assert response.status_code == 200
    page = html(response)
    assert page.startswith('<div id="board"') and "<html" not in page
    assert "Wartung" in column_html(page, s["Won"].pk)
    assert Deal.objects.get(pk=deal.pk).won_at is not None


def test_lost_without_a_reason_asks_for_it_and_changes_nothing(world, deals):
    anna, deal, s = client_for(world.people["anna"]), deals["a"], deals["stages"]
    before = sales_rows()
    response = anna.post(f"/deals/{deal.pk}/move/", {"stage_id": s["Lost"].pk}, **HTMX)
    assert response.status_code == 422
    assert sales_rows() == before
    page = html(response)
    card = page[page.index(f'id="deal-{deal.pk}"') :]
    assert f'name="lost_reason" id="lost-reason-{deal.pk}"' in card.split("</li>")[0]
    assert f'name="stage_id" value="{s["Lost"].pk}"' in card.split("</li>")[0]
    assert 'role="alert"' in page
    # The card is still where it was.
    assert f'id="deal-{deal.pk}"' in column_html(page, s["Proposal"].pk)
    # Without JavaScript, the whole page asks the same.
    full = anna.post(f"/deals/{deal.pk}/move/", {"stage_id": s["Lost"].pk})
    assert full.status_code == 422 and "<html" in html(full)
    assert f'id="lost-reason-{deal.pk}"' in html(full)
    assert sales_rows() == before
    answered = anna.post(
        f"/deals/{deal.pk}/move/", {"stage_id": s["Lost"].pk, "lost_reason": "Budget gestrichen"}
    )
    assert answered.status_code == 302
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage_id, stored.lost_reason) == (s["Lost"].pk, "Budget gestrichen")


def test_a_move_the_user_may_not_make_is_refused_and_audited(world, deals):
    anna, s = client_for(world.people["anna"]), deals["stages"]
    carls = deals["carl"]
    before = sales_rows()
    denied = AuditEvent.objects.filter(verb=AuditEvent.Verb.PERMISSION_DENIED).count()
    for headers in (HTMX, {}):
        response = anna.post(f"/deals/{carls.pk}/move/", {"stage_id": s["Won"].pk}, **headers)
        assert response.status_code == 403
        assert 'role="alert"' in html(response)
        assert "Carls Projekt" in column_html(html(response), s["Qualification"].pk)
    assert sales_rows() == before
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.PERMISSION_DENIED).count() == denied + 2


def test_another_teams_deal_is_not_shown_and_its_move_is_404(world, deals):
    anna, s, bens = client_for(world.people["anna"]), deals["stages"], deals["ben"]
    before = sales_rows()
    assert anna.post(f"/deals/{bens.pk}/move/", {"stage_id": s["Won"].pk}).status_code == 404
    fragment = anna.post(f"/deals/{bens.pk}/move/", {"stage_id": s["Won"].pk}, **HTMX)
    assert fragment.status_code == 404 and "Südwind Deal" not in html(fragment)
    assert anna.post("/deals/999999/move/", {"stage_id": s["Won"].pk}).status_code == 404
    assert sales_rows() == before
    ben = client_for(world.people["ben"])
    assert "Südwind Deal" in html(ben.get("/deals/board/"))


def test_bad_moves_leave_the_board_unchanged(world, deals):
    anna, deal, s = client_for(world.people["anna"]), deals["a"], deals["stages"]
    renewals = pipeline_create(actor=world.people["admin"], data={"name": "Renewals"})
    before = sales_rows()
    foreign = renewals.stages.get(name="Won").pk
    for data, status in (
        ({"stage_id": foreign}, 422),
        ({"stage_id": "x"}, 422),
        ({"stage_id": s["Won"].pk, "version": deal.version + 5}, 412),
    ):
        response = anna.post(f"/deals/{deal.pk}/move/", data, **HTMX)
        assert response.status_code == status, data
        assert 'role="alert"' in html(response)
    assert sales_rows() == before


def test_read_only_users_see_the_board_without_move_controls(world, deals):
    vera = client_for(world.people["vera"])
    page = html(vera.get("/deals/board/"))
    assert "Lizenzen Nord" in page and "Südwind Deal" in page  # read-only role reads all
    assert 'name="stage_id"' not in page and 'draggable="true"' not in page


def test_other_pipelines_the_filter_and_the_sign_in(world, deals):
    anna = client_for(world.people["anna"])
    renewals = pipeline_create(actor=world.people["admin"], data={"name": "Renewals"})
    page = html(anna.get(f"/deals/board/{renewals.pk}/"))
    assert "Lizenzen Nord" not in page
    assert f'href="/deals/board/{default_pipeline().pk}/"' in page  # the pipeline switcher
    assert anna.get("/deals/board/999999/").status_code == 404
    mine = html(anna.get("/deals/board/?mine=1"))
    assert "Lizenzen Nord" in mine and "Carls Projekt" not in mine
    signed_out = client_for(world.people["anna"])
    signed_out.logout()
    response = signed_out.get("/deals/board/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_board_page_costs_the_same_queries_with_more_deals(world, deals):
    anna = client_for(world.people["anna"])
    anna.get("/deals/board/")  # warm the session and the permission cache
    with CaptureQueriesContext(connection) as few:
        assert anna.get("/deals/board/").status_code == 200
    for n in range(15):
        deal_create(
            actor=world.people["anna"],
            data={"title": f"Mehr {n}", "organization_id": world.org.pk, "amount": Decimal(n)},
        )
    with CaptureQueriesContext(connection) as many:
        assert anna.get("/deals/board/").status_code == 200
    assert len(many) == len(few) <= 10, [q["sql"][:80] for q in many.captured_queries]
