"""The existing organisations and people a lead may belong to: visible ones only, with reasons."""

from __future__ import annotations

import pytest

from kundenwert.contacts.services import organization_archive
from kundenwert.sales.leads import company_core, email_domain, lead_candidates
from tests.contacts.factories import org, person
from tests.sales.lead_factories import lead


def _found(candidates) -> tuple[list, list]:
    return (
        [(c.record.name, c.reasons) for c in candidates.organizations],
        [(c.record.last_name, c.reasons) for c in candidates.people],
    )


@pytest.fixture
def contacts(people) -> dict:
    anna, ben = people["anna"], people["ben"]
    return {
        "by_domain": org(anna, "Nordlicht", legal_form="GmbH", website="https://www.nordlicht.de"),
        "by_name": org(anna, "Nordlicht Logistik", legal_form="AG"),
        "by_org_email": org(anna, "Leuchtturm", emails=["info@nordlicht.de"]),
        "by_phone": org(anna, "Zentrale", phones=["+49 30 1234567"]),
        "unrelated": org(anna, "Südwind"),
        "hidden": org(ben, "Nordlicht Süd", website="nordlicht.de"),
        "petra": person(anna, "Paulsen", first_name="Petra", emails=["Petra@nordlicht.de"]),
        "phone_twin": person(anna, "Albers", phones=["030/1234567"]),
        "namesake": person(anna, "Paulsen", first_name="Peter"),
        "bens": person(ben, "Berg", emails=["petra@nordlicht.de"]),
    }


def test_candidates_match_email_domain_name_and_phone_of_visible_records(people, contacts):
    anna = people["anna"]
    found = lead(
        anna,
        "Petra Paulsen",
        email="petra@NORDLICHT.de",
        company="Nordlicht GmbH",
        phone="+49 30 1234567",
    )
    organizations, persons = _found(lead_candidates(viewer=anna, lead=found))
    assert organizations == [
        ("Nordlicht", ("domain", "name")),
        ("Leuchtturm", ("domain",)),
        ("Nordlicht Logistik", ("name",)),
        ("Zentrale", ("phone",)),
    ]
    assert persons == [("Albers", ("phone",)), ("Paulsen", ("email",))]
    # ben sees only his own records.
    organizations, persons = _found(lead_candidates(viewer=people["ben"], lead=found))
    assert organizations == [("Nordlicht Süd", ("domain", "name"))]
    assert persons == [("Berg", ("email",))]


def test_archived_records_and_mail_service_domains_are_no_candidates(people, contacts):
    anna = people["anna"]
    organization_archive(actor=anna, organization_id=contacts["by_domain"].pk)
    gmail = org(anna, "Google-Kunde", website="gmail.com")
    found = lead(anna, "Petra Paulsen", email="petra.p@gmail.com")
    assert _found(lead_candidates(viewer=anna, lead=found)) == ([], [])
    assert gmail.domain == "gmail.com"


def test_a_lead_with_nothing_to_compare_has_no_candidates(people, contacts):
    found = lead(people["anna"], "Petra")
    assert _found(lead_candidates(viewer=people["anna"], lead=found)) == ([], [])


@pytest.mark.parametrize(
    ("company", "core"),
    [
        ("Nordlicht GmbH", "nordlicht"),
        ("Nordlicht GmbH & Co. KG", "nordlicht"),
        ("ACME, Inc.", "acme"),
        ("  Müller   Bau  e.K. ", "müller bau"),
        ("AG", "ag"),
        ("", ""),
    ],
)
def test_company_core_drops_the_legal_form(company, core):
    assert company_core(company) == core


def test_email_domain_ignores_mail_services():
    assert email_domain("a@Nordlicht.DE") == "nordlicht.de"
    assert email_domain("a@web.de") == email_domain("") == email_domain("broken") == ""
