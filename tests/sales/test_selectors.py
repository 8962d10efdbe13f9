"""Selector tests: the board (columns, totals per currency, visibility), deal lists, pipelines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.identity.models import User
from kundenwert.org.policies import permissions_for
from kundenwert.sales import selectors
from kundenwert.sales.models import Deal
from kundenwert.sales.selectors import board, deal_get, deal_list, pipeline_get, pipeline_list
from kundenwert.sales.services import deal_archive, deal_move_stage, pipeline_create
from tests.contacts.factories import org
from tests.sales.factories import deal, default_pipeline, stages


@pytest.fixture
def customers(people):
    return {
        "anna": org(people["anna"], "Nordlicht GmbH"),
        "carl": org(people["carl"], "Küstenwind KG"),
        "ben": org(people["ben"], "Südwind AG"),
    }


def _column(result, name: str):
    return next(c for c in result.columns if c.stage.name == name)


def _totals(column) -> list[tuple]:
    return [(t.currency, t.count, t.amount, t.weighted) for t in column.totals]


def test_board_totals_and_weighted_totals_per_currency_by_hand(people, customers):
    anna, carl, s = people["anna"], people["carl"], stages()
    proposal = s["Proposal"].pk  # 50 %
    deal(anna, "A", organization=customers["anna"], amount="1000.00", stage_id=proposal)
    deal(anna, "B", organization=customers["anna"], amount="333.33", stage_id=proposal)
    deal(carl, "C", organization=customers["carl"], amount="0.01", stage_id=proposal)
    deal(anna, "D", organization=customers["anna"], amount="200.00", currency="USD",
         stage_id=proposal, probability=33)  # fmt: skip
    deal(anna, "E", organization=customers["anna"], amount="1500", currency="JPY",
         stage_id=proposal, probability=25)  # fmt: skip
    deal(anna, "F", organization=customers["anna"], amount="80.00")  # Qualification, 10 %
    result = board(viewer=anna, pipeline_id=default_pipeline().pk)
    # EUR: 1000.00 + 333.33 + 0.01 = 1333.34; weighted 500 + 166.665 + 0.005 = 666.67 (rounded
    # once, half up). USD: 200.00 × 33 % = 66.00. JPY has no minor unit: 1500 × 25 % = 375.
    # Never one sum across currencies.
    assert _totals(_column(result, "Proposal")) == [
        ("EUR", 3, Decimal("1333.34"), Decimal("666.67")),
        ("JPY", 1, Decimal("1500"), Decimal("375")),
        ("USD", 1, Decimal("200.00"), Decimal("66.00")),
    ]
    assert _column(result, "Proposal").count == 5
    assert _totals(_column(result, "Qualification")) == [
        ("EUR", 1, Decimal("80.00"), Decimal("8.00"))
    ]
    assert _column(result, "Negotiation").totals == []
    assert [c.stage.name for c in result.columns] == [
        "Qualification", "Needs analysis", "Proposal", "Negotiation", "Won", "Lost",
    ]  # fmt: skip


def test_board_rounds_half_away_from_zero_once_per_column(people, customers):
    anna, negotiation = people["anna"], stages()["Negotiation"].pk  # 75 %
    for title in ("x", "y"):
        deal(anna, title, organization=customers["anna"], amount="0.01", stage_id=negotiation)
    # 0.0075 + 0.0075 = 0.015 → 0.02; rounding each card first would give 0.01 + 0.01.
    assert _totals(
        _column(board(viewer=anna, pipeline_id=default_pipeline().pk), "Negotiation")
    ) == [("EUR", 2, Decimal("0.02"), Decimal("0.02"))]


def test_board_shows_only_visible_active_deals(people, customers):
    anna, carl, ben = people["anna"], people["carl"], people["ben"]
    mine = deal(anna, "Mine", organization=customers["anna"])
    teammate = deal(carl, "Carl's", organization=customers["carl"])
    other = deal(ben, "Ben's", organization=customers["ben"], amount="999.00")
    archived = deal(anna, "Archived", organization=customers["anna"])
    deal_archive(actor=anna, deal_id=archived.pk)
    pipeline_id = default_pipeline().pk
    column = _column(board(viewer=anna, pipeline_id=pipeline_id), "Qualification")
    assert [d.pk for d in column.deals] == [mine.pk, teammate.pk]  # undated: by id
    assert column.count == 2
    assert other.pk not in {d.pk for d in column.deals}
    ben_column = _column(board(viewer=ben, pipeline_id=pipeline_id), "Qualification")
    assert [d.pk for d in ben_column.deals] == [other.pk]
    assert _totals(ben_column) == [("EUR", 1, Decimal("999.00"), Decimal("99.90"))]
    mine_only = board(viewer=anna, pipeline_id=pipeline_id, params={"owner": str(anna.pk)})
    assert [d.pk for d in _column(mine_only, "Qualification").deals] == [mine.pk]


def test_board_columns_are_bounded_and_ordered_by_close_date(people, customers, monkeypatch):
    anna = people["anna"]
    monkeypatch.setattr(selectors, "BOARD_COLUMN_LIMIT", 2)
    today = dt.date(2027, 1, 1)
    late = deal(anna, "late", organization=customers["anna"], expected_close_date=today)
    undated = deal(anna, "undated", organization=customers["anna"])
    early = deal(anna, "early", organization=customers["anna"],
                 expected_close_date=today - dt.timedelta(days=9))  # fmt: skip
    column = _column(board(viewer=anna, pipeline_id=default_pipeline().pk), "Qualification")
    assert [d.pk for d in column.deals] == [early.pk, late.pk]
    assert (column.count, column.more) == (3, 1)
    assert undated.pk not in {d.pk for d in column.deals}


def test_closed_columns_show_recent_closes_only(people, customers):
    anna, s = people["anna"], stages()
    recent = deal(anna, "recent", organization=customers["anna"], stage_id=s["Won"].pk)
    old = deal(anna, "old", organization=customers["anna"], stage_id=s["Won"].pk)
    long_ago = timezone.now() - dt.timedelta(days=45)
    Deal.objects.filter(pk=old.pk).update(won_at=long_ago, closed_at=long_ago)
    column = _column(board(viewer=anna, pipeline_id=default_pipeline().pk), "Won")
    assert [d.pk for d in column.deals] == [recent.pk]
    since = (timezone.localdate() - dt.timedelta(days=60)).isoformat()
    column = _column(
        board(viewer=anna, pipeline_id=default_pipeline().pk, params={"closed_since": since}),
        "Won",
    )
    assert {d.pk for d in column.deals} == {recent.pk, old.pk}


def test_board_costs_four_queries_whatever_the_number_of_deals(
    people, customers, django_assert_num_queries
):
    anna, s = people["anna"], stages()
    for i in range(12):
        stage = list(s.values())[i % 4]
        deal(anna, f"D{i}", organization=customers["anna"], amount="10.00", stage_id=stage.pk,
             currency="USD" if i % 3 else "EUR")  # fmt: skip
    permissions_for(anna)  # loaded once per request, before the page's own queries
    pipeline_id = default_pipeline().pk
    with django_assert_num_queries(4):
        result = board(viewer=anna, pipeline_id=pipeline_id)
        for column in result.columns:
            for card in column.deals:
                str(card.organization)
    assert sum(c.count for c in result.columns) == 12


def test_board_refuses_unknown_parameters_and_hidden_pipelines(people):
    anna = people["anna"]
    with pytest.raises(ValidationError) as caught:
        board(viewer=anna, pipeline_id=default_pipeline().pk, params={"stage": "1", "owner": "x"})
    assert set(caught.value.message_dict) == {"stage", "owner"}
    with pytest.raises(NotFound):
        board(viewer=anna, pipeline_id=10**9)
    nobody = User.objects.create_user(username="nobody", password="x")
    with pytest.raises(NotFound):
        pipeline_get(viewer=nobody, pipeline_id=default_pipeline().pk)
    assert pipeline_list(viewer=nobody, params={}).rows == []


def test_pipelines_are_readable_configuration(people):
    renewals = pipeline_create(actor=people["admin"], data={"name": "Renewals"})
    page = pipeline_list(viewer=people["vera"], params={})
    assert [p.name for p in page.rows] == ["Sales", "Renewals"]
    assert [s.name for s in page.rows[1].stage_list][:2] == ["Qualification", "Needs analysis"]
    assert pipeline_get(viewer=people["ben"], pipeline_id=renewals.pk) == renewals


def test_deal_list_filters_sorts_and_values(people, customers):
    anna, s = people["anna"], stages()
    a = deal(anna, "Alpha rollout", organization=customers["anna"], amount="500.00",
             expected_close_date=dt.date(2027, 2, 1))  # fmt: skip
    b = deal(anna, "Beta licences", organization=customers["anna"], amount="1500.00",
             expected_close_date=dt.date(2027, 5, 1), stage_id=s["Proposal"].pk)  # fmt: skip
    c = deal(people["carl"], "Gamma", organization=customers["carl"], amount="10.00")
    lost = deal(anna, "Delta", organization=customers["anna"])
    deal_move_stage(actor=anna, deal_id=lost.pk, stage_id=s["Lost"].pk, lost_reason="Price")
    deal(people["ben"], "Hidden", organization=customers["ben"])

    def ids(**params) -> list[int]:
        return [d.pk for d in deal_list(viewer=anna, params=params).rows]

    assert ids(sort="amount", status="open") == [c.pk, a.pk, b.pk]
    assert ids(status="lost") == [lost.pk]
    assert ids(status="won,lost") == [lost.pk]
    assert ids(stage=str(s["Proposal"].pk)) == [b.pk]
    assert ids(expected_close_before="2027-03-01") == [a.pk]
    assert ids(expected_close_after="2027-03-01") == [b.pk]
    assert ids(owner=str(people["carl"].pk)) == [c.pk]
    assert ids(q="licen") == [b.pk]
    assert ids(organization=str(customers["anna"].pk), sort="-title") == [lost.pk, b.pk, a.pk]
    rows = deal_list(
        viewer=anna, params={"sort": "title", "limit": "1"}, values=("id", "title", "amount")
    )
    assert rows.rows == [{"id": a.pk, "title": "Alpha rollout", "amount": Decimal("500.00")}]
    assert rows.next_cursor
    for bad in ({"status": "maybe"}, {"expected_close_before": "soon"}, {"sort": "colour"}):
        with pytest.raises(ValidationError):
            deal_list(viewer=anna, params=bad)


def test_deal_get_hides_other_teams_deals(people, customers):
    hidden = deal(people["ben"], "Ben's", organization=customers["ben"])
    with pytest.raises(NotFound):
        deal_get(viewer=people["anna"], deal_id=hidden.pk)
    assert deal_get(viewer=people["mia"], deal_id=hidden.pk) == hidden  # manager: reads all
