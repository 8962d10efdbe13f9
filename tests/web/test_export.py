"""CSV export of the lists: content, formula neutralisation, visibility, filters, the cap."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from kundenwert.contacts.services import organization_create, person_create
from kundenwert.web import export

pytestmark = pytest.mark.django_db


def signed_in(user, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


@pytest.fixture
def anna(world) -> Client:
    return signed_in(world.people["anna"])


def read_csv(response) -> list[list[str]]:
    """Return the rows of a streamed CSV response, asserting the BOM Excel needs."""
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def column(rows: list[list[str]], label: str) -> list[str]:
    index = rows[0].index(label)
    return [row[index] for row in rows[1:]]


def test_export_lists_the_visible_organisations_with_a_header(world, anna):
    response = anna.get("/organizations/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="organizations-')
    rows = read_csv(response)
    assert rows[0][:4] == ["ID", "Name", "Legal form", "Status"]
    # anna (sales, Nord) sees her team's records, not ben's (Süd).
    assert column(rows, "Name") == ["Nordlicht"]
    assert column(rows, "ID") == [str(world.org.pk)]
    assert column(rows, "Tags") == ["vip"]
    assert column(rows, "Status") == ["customer"]


def test_export_shows_ben_only_his_own(world):
    rows = read_csv(signed_in(world.people["ben"]).get("/organizations/export.csv"))
    assert column(rows, "Name") == ["Südwind"]


def test_export_header_is_translated_and_umlauts_survive(world):
    response = signed_in(world.people["ben"], "de").get("/organizations/export.csv")
    rows = read_csv(response)
    assert rows[0][:4] == ["ID", "Name", "Rechtsform", "Status"]
    assert column(rows, "Name") == ["Südwind"]
    assert column(rows, "Rechtsform") == ["AG"]


def test_formula_cells_are_neutralised(world, anna):
    anna_user = world.people["anna"]
    organization_create(
        actor=anna_user,
        data={
            "name": '=HYPERLINK("http://evil.example","click")',
            "phones": ["+49 30 1234567"],
            "tags": ["@risk", "-minus"],
        },
    )
    person_create(
        actor=anna_user, data={"first_name": "+Plus", "last_name": "Tabbed", "job_title": "@home"}
    )
    orgs = read_csv(anna.get("/organizations/export.csv", {"sort": "name"}))
    assert column(orgs, "Name") == ['\'=HYPERLINK("http://evil.example","click")', "Nordlicht"]
    # E.164 numbers start with "+": neutralised like any other formula start.
    assert column(orgs, "Phone numbers") == ["'+49301234567", ""]
    assert column(orgs, "Tags") == ["'-minus, @risk", "vip"]
    people = read_csv(anna.get("/people/export.csv"))
    assert sorted(column(people, "First name")) == ["'+Plus", "Greta"]
    assert sorted(column(people, "Job title")) == ["'@home", "CFO"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("plain = text", "plain = text"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_neutralise(value, expected):
    assert export.neutralise(value) == expected


def test_export_respects_filters_sort_and_search(world, anna):
    anna_user = world.people["anna"]
    for name, status in (("Alpha", "prospect"), ("Beta", "customer"), ("Gamma", "customer")):
        organization_create(actor=anna_user, data={"name": name, "status": status})
    rows = read_csv(anna.get("/organizations/export.csv", {"status": "customer", "sort": "-name"}))
    assert column(rows, "Name") == ["Nordlicht", "Gamma", "Beta"]
    rows = read_csv(anna.get("/organizations/export.csv", {"q": "gamm"}))
    assert column(rows, "Name") == ["Gamma"]
    # A list cursor or page size in the URL does not cut the export short.
    rows = read_csv(anna.get("/organizations/export.csv", {"limit": "1"}))
    assert len(rows) == 1 + 4


def test_export_streams_every_page_and_stops_at_the_cap(world, anna, monkeypatch):
    anna_user = world.people["anna"]
    for i in range(6):
        organization_create(actor=anna_user, data={"name": f"Firma {i:02d}"})
    monkeypatch.setattr(export, "PAGE_SIZE", "2")
    rows = read_csv(anna.get("/organizations/export.csv"))
    assert column(rows, "Name") == [f"Firma {i:02d}" for i in range(6)] + ["Nordlicht"]
    monkeypatch.setattr(export, "MAX_ROWS", 5)
    rows = read_csv(anna.get("/organizations/export.csv"))
    assert [row[1] for row in rows[1:6]] == [f"Firma {i:02d}" for i in range(5)]
    assert rows[6] == ["Export stopped after 5 rows; narrow the filters."]
    assert len(rows) == 7


def test_export_rejects_an_unknown_filter_value(world, anna):
    response = anna.get("/organizations/export.csv", {"status": "bogus"})
    assert response.status_code == 400


def test_export_needs_sign_in(world):
    response = Client().get("/people/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_list_links_to_the_export_with_its_filters(world, anna):
    response = anna.get("/organizations/", {"status": "customer", "q": "nord"})
    assert (
        'href="/organizations/export.csv?status=customer&amp;q=nord"' in response.content.decode()
    )
