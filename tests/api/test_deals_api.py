"""The pipelines and deals resources over real HTTP: shapes, amounts as strings, problems."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from kundenwert.api.sales import BoardOut, DealHistory, DealOut, PipelineOut
from kundenwert.sales.models import Deal, DealStageChange
from kundenwert.sales.services import deal_archive, deal_create, pipeline_create
from tests.sales.factories import default_pipeline, sales_rows, stages

from .conftest import LIVE, PROBLEM_KEYS

pytestmark = LIVE


def problem(response: requests.Response, status: int) -> dict:
    """Assert an error response: the status, and a body of exactly code, detail and errors."""
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    return body


def _keys(schema) -> set[str]:
    return set(schema.model_fields)


@pytest.fixture
def sales(world):
    """anna's deal in the default pipeline's first stage, and the stages by name."""
    s = stages(default_pipeline())
    deal = deal_create(
        actor=world.people["anna"],
        data={"title": "Rollout", "organization_id": world.org.pk, "amount": Decimal("1000.00")},
    )
    return {"stages": s, "deal": deal}


# --- deals ---------------------------------------------------------------------------------------


def test_create_a_deal_returns_201_with_amounts_as_strings(api, world, sales):
    s = sales["stages"]
    response = api.post(
        "/deals",
        token=world.tokens["anna"],
        json={
            "title": "Lizenzen",
            "organization_id": world.org.pk,
            "person_id": world.person.pk,
            "amount": "1234.5",
            "currency": "EUR",
            "stage_id": s["Proposal"].pk,
            "expected_close_date": "2027-03-31",
            "source_channel": "event",
            "source_campaign": "Messe",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == _keys(DealOut)
    assert response.headers["ETag"] == f'"{body["id"]}-1"'
    assert (body["amount"], body["weighted_amount"], body["currency"]) == (
        "1234.50",
        "617.25",
        "EUR",
    )
    assert (body["probability"], body["status"], body["stage_id"]) == (50, "open", s["Proposal"].pk)
    assert body["pipeline_id"] == default_pipeline().pk
    assert body["expected_close_date"] == "2027-03-31"
    assert Deal.objects.get(pk=body["id"]).amount == Decimal("1234.50")
    fetched = api.get(f"/deals/{body['id']}", token=world.tokens["anna"])
    assert fetched.json() == body and fetched.headers["ETag"] == response.headers["ETag"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 12.5}, "amount"),  # a JSON number: may already be inexact
        ({"amount": 12}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),  # more places than EUR has
        ({"amount": "12.5", "currency": "JPY"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"probability": 101}, "probability"),
        ({"probability": "50"}, "probability"),
        ({"organization_id": None}, "organization_id"),
        ({"source_channel": "fax"}, "source_channel"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_deal_input_is_422_and_writes_nothing(change, field, api, world, sales):
    before = sales_rows()
    body = {"title": "x", "organization_id": world.org.pk, **change}
    response = api.post("/deals", token=world.tokens["anna"], json=body)
    errors = problem(response, 422)["errors"]
    assert field in errors, errors
    assert sales_rows() == before


def test_json_nan_is_refused(api, world, sales):
    response = api.post(
        "/deals",
        token=world.tokens["anna"],
        data=f'{{"title": "x", "organization_id": {world.org.pk}, "amount": NaN}}',
        headers={"Content-Type": "application/json"},
    )
    assert "amount" in problem(response, 422)["errors"]


def test_list_filters_sorts_and_pages(api, world, sales):
    anna, token = world.people["anna"], world.tokens["anna"]
    for amount in ("5.00", "50.00"):
        deal_create(
            actor=anna,
            data={"title": f"D {amount}", "person_id": world.person.pk, "amount": Decimal(amount)},
        )
    page = api.get("/deals?sort=-amount&limit=2", token=token).json()
    assert [d["amount"] for d in page["items"]] == ["1000.00", "50.00"]
    assert set(page["items"][0]) == _keys(DealOut)
    rest = api.get(f"/deals?sort=-amount&limit=2&cursor={page['next_cursor']}", token=token)
    assert [d["amount"] for d in rest.json()["items"]] == ["5.00"]
    assert rest.json()["next_cursor"] is None
    people_deals = api.get(f"/deals?person={world.person.pk}&status=open", token=token).json()
    assert len(people_deals["items"]) == 2
    assert api.get("/deals", token=world.tokens["ben"]).json() == {"items": [], "next_cursor": None}
    assert "status" in problem(api.get("/deals?status=maybe", token=token), 400)["errors"]
    assert "colour" in problem(api.get("/deals?colour=red", token=token), 400)["errors"]


def test_patch_with_if_match_then_stale(api, world, sales):
    deal, token = sales["deal"], world.tokens["anna"]
    ok = api.patch(
        f"/deals/{deal.pk}",
        token=token,
        headers={"If-Match": f'"{deal.pk}-1"'},
        json={"amount": "2000.00", "title": "Rollout XL"},
    )
    assert ok.status_code == 200, ok.text
    assert (ok.json()["amount"], ok.json()["weighted_amount"]) == ("2000.00", "200.00")
    assert ok.headers["ETag"] == f'"{deal.pk}-2"'
    before = sales_rows()
    stale = api.patch(
        f"/deals/{deal.pk}",
        token=token,
        headers={"If-Match": f'"{deal.pk}-1"'},
        json={"title": "Lost update"},
    )
    assert problem(stale, 412)["code"] == "precondition_failed"
    assert sales_rows() == before


def test_move_history_and_refused_moves(api, world, sales):
    deal, s, token = sales["deal"], sales["stages"], world.tokens["anna"]
    moved = api.post(f"/deals/{deal.pk}/move", token=token, json={"stage_id": s["Proposal"].pk})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["stage_id"], moved.json()["probability"]) == (s["Proposal"].pk, 50)
    renewals = pipeline_create(actor=world.people["admin"], data={"name": "Renewals"})
    foreign = renewals.stages.get(name="Won").pk
    before = sales_rows()
    no_reason = api.post(f"/deals/{deal.pk}/move", token=token, json={"stage_id": s["Lost"].pk})
    assert set(problem(no_reason, 422)["errors"]) == {"lost_reason"}
    other = api.post(f"/deals/{deal.pk}/move", token=token, json={"stage_id": foreign})
    assert set(problem(other, 422)["errors"]) == {"stage_id"}
    stale = api.post(
        f"/deals/{deal.pk}/move",
        token=token,
        headers={"If-Match": f'"{deal.pk}-1"'},
        json={"stage_id": s["Won"].pk},
    )
    problem(stale, 412)
    assert sales_rows() == before
    lost = api.post(
        f"/deals/{deal.pk}/move",
        token=token,
        json={"stage_id": s["Lost"].pk, "lost_reason": "Too expensive"},
    )
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", "Too expensive")
    history = api.get(f"/deals/{deal.pk}/history", token=token)
    assert history.status_code == 200
    items = history.json()["items"]
    assert set(history.json()) == _keys(DealHistory)
    assert [i["stage_id"] for i in items] == [
        s["Qualification"].pk,
        s["Proposal"].pk,
        s["Lost"].pk,
    ]
    assert items[-1]["left_at"] is None and items[0]["left_at"] == items[1]["entered_at"]
    assert all(isinstance(i["seconds_in_stage"], int) for i in items)
    assert DealStageChange.objects.filter(deal=deal).count() == 3


def test_an_archived_deal_cannot_move(api, world, sales):
    deal, token = sales["deal"], world.tokens["anna"]
    archived = api.delete(f"/deals/{deal.pk}", token=token)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    move = api.post(
        f"/deals/{deal.pk}/move", token=token, json={"stage_id": sales["stages"]["Won"].pk}
    )
    assert problem(move, 409)["code"] == "archived"
    restored = api.post(f"/deals/{deal.pk}/restore", token=token)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None


def test_unknown_and_hidden_deals_are_404(api, world, sales):
    for path in ("/deals/999999", f"/deals/{sales['deal'].pk}"):
        token = world.tokens["ben"]
        problem(api.get(path, token=token), 404)
        problem(api.post(path + "/move", token=token, json={"stage_id": 1}), 404)


# --- pipelines and the board --------------------------------------------------------------------


def test_pipelines_list_and_get_with_stages(api, world, sales):
    page = api.get("/pipelines", token=world.tokens["vera"])
    assert page.status_code == 200
    (pipeline,) = page.json()["items"]
    assert set(pipeline) == _keys(PipelineOut)
    assert (pipeline["name"], pipeline["is_default"]) == ("Sales", True)
    assert [st["name"] for st in pipeline["stages"]][-2:] == ["Won", "Lost"]
    assert [st["probability"] for st in pipeline["stages"]] == [10, 25, 50, 75, 100, 0]
    fetched = api.get(f"/pipelines/{pipeline['id']}", token=world.tokens["ben"])
    assert fetched.json() == pipeline
    assert fetched.headers["ETag"] == f'"{pipeline["id"]}-1"'


def test_administrators_configure_pipelines_and_stages(api, world, sales):
    admin = world.tokens["admin"]
    created = api.post(
        "/pipelines",
        token=admin,
        json={
            "name": "Partners",
            "stages": [
                {"name": "Lead", "probability": 5},
                {"name": "Signed", "probability": 100, "kind": "won"},
                {"name": "Dropped", "kind": "lost"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    pipeline = created.json()
    lead, signed, dropped = (st["id"] for st in pipeline["stages"])
    stage = api.post(
        f"/pipelines/{pipeline['id']}/stages",
        token=admin,
        json={"name": "Demo", "probability": 40},
    )
    assert stage.status_code == 201, stage.text
    assert stage.json()["position"] == 1
    patched = api.patch(
        f"/pipelines/{pipeline['id']}/stages/{stage.json()['id']}",
        token=admin,
        headers={"If-Match": stage.headers["ETag"]},
        json={"probability": 45},
    )
    assert patched.json()["probability"] == 45 and patched.headers["ETag"].endswith('-2"')
    order = [signed, dropped, stage.json()["id"], lead]
    reordered = api.request(
        "PUT", f"/pipelines/{pipeline['id']}/stage-order", token=admin, json={"stage_ids": order}
    )
    assert [st["id"] for st in reordered.json()["stages"]] == order
    problem(
        api.request(
            "PUT", f"/pipelines/{pipeline['id']}/stage-order", token=admin, json={"stage_ids": [1]}
        ),
        422,
    )
    last_lost = api.delete(f"/pipelines/{pipeline['id']}/stages/{dropped}", token=admin)
    assert problem(last_lost, 409)["code"] == "stage_required"
    archived = api.delete(f"/pipelines/{pipeline['id']}/stages/{stage.json()['id']}", token=admin)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    # A stage addressed through another pipeline does not exist there.
    problem(api.delete(f"/pipelines/{default_pipeline().pk}/stages/{lead}", token=admin), 404)
    renamed = api.patch(f"/pipelines/{pipeline['id']}", token=admin, json={"name": "Partner"})
    assert renamed.json()["name"] == "Partner"
    undefault = api.patch(f"/pipelines/{default_pipeline().pk}", token=admin,
                          json={"is_default": False})  # fmt: skip
    assert "is_default" in problem(undefault, 422)["errors"]
    refused = api.post("/pipelines", token=world.tokens["anna"], json={"name": "Mine"})
    assert problem(refused, 403)["code"] == "permission_denied"
    bad = api.post(
        "/pipelines", token=admin, json={"name": "X", "stages": [{"name": "a"}, {"name": "b"}]}
    )
    problem(bad, 422)


def test_the_board_has_totals_per_currency_as_strings(api, world, sales):
    anna, s = world.people["anna"], sales["stages"]
    for amount, currency in (("333.33", "EUR"), ("10.00", "USD")):
        deal_create(
            actor=anna,
            data={
                "title": f"{currency} deal",
                "organization_id": world.org.pk,
                "amount": Decimal(amount),
                "currency": currency,
                "stage_id": s["Proposal"].pk,
            },
        )
    archived = deal_create(actor=anna, data={"title": "Gone", "organization_id": world.org.pk})
    deal_archive(actor=anna, deal_id=archived.pk)
    response = api.get(f"/pipelines/{default_pipeline().pk}/board", token=world.tokens["anna"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == _keys(BoardOut)
    columns = {c["stage"]["name"]: c for c in body["columns"]}
    assert list(columns) == ["Qualification", "Needs analysis", "Proposal", "Negotiation",
                             "Won", "Lost"]  # fmt: skip
    assert columns["Proposal"]["count"] == 2
    assert columns["Proposal"]["totals"] == [
        {"currency": "EUR", "count": 1, "amount": "333.33", "weighted": "166.67"},
        {"currency": "USD", "count": 1, "amount": "10.00", "weighted": "5.00"},
    ]
    assert [d["title"] for d in columns["Qualification"]["deals"]] == ["Rollout"]
    assert columns["Qualification"]["deals"][0]["organization_name"] == "Nordlicht GmbH"
    ben = api.get(f"/pipelines/{default_pipeline().pk}/board", token=world.tokens["ben"]).json()
    assert all(c["count"] == 0 and c["deals"] == [] for c in ben["columns"])
    board_path = f"/pipelines/{default_pipeline().pk}/board"
    problem(api.get(board_path + "?stage=1", token=world.tokens["anna"]), 400)
    problem(api.get("/pipelines/999999/board", token=world.tokens["anna"]), 404)
