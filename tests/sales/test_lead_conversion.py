"""Converting a lead into organisation, person and deal: everything or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization, Person
from kundenwert.contacts.services import affiliation_create, organization_archive
from kundenwert.core.errors import ConflictError, PermissionDenied, ValidationError
from kundenwert.sales.leads import lead_convert, lead_may
from kundenwert.sales.models import Deal, Lead
from kundenwert.sales.services import pipeline_create
from tests.contacts.factories import org, person
from tests.core.state import events_since, last_event_id
from tests.sales.factories import default_pipeline, stages
from tests.sales.lead_factories import lead, leads_unchanged, public_lead

Verb = AuditEvent.Verb


@pytest.fixture
def intake(settings, people):
    settings.LEAD_INTAKE_TEAM = "Nord"


def test_convert_creates_organisation_person_affiliation_and_deal(people, intake):
    carl = people["carl"]
    pooled = public_lead(
        "Dr. Petra Paulsen",
        "petra@nordlicht.example",
        company="Nordlicht GmbH",
        phone="+49 30 1234567",
        campaign="spring",
        language="en",
    )
    proposal = stages()["Proposal"]
    mark = last_event_id()
    converted = lead_convert(
        actor=carl,
        lead_id=pooled.pk,
        deal_data={"amount": Decimal("1200.00"), "stage_id": proposal.pk, "title": "Licences"},
    )
    new_org = Organization.objects.get()
    new_person = Person.objects.get()
    deal = Deal.objects.get()
    assert (new_org.name, new_org.owner) == ("Nordlicht GmbH", carl)
    assert (new_person.first_name, new_person.last_name, new_person.language) == (
        "Dr. Petra",
        "Paulsen",
        "en",
    )
    assert (new_person.emails, new_person.phones) == (["petra@nordlicht.example"], ["+49301234567"])
    affiliation = Affiliation.objects.get()
    assert (affiliation.person, affiliation.organization, affiliation.is_primary) == (
        new_person,
        new_org,
        True,
    )
    assert (deal.title, deal.organization, deal.person, deal.owner) == (
        "Licences",
        new_org,
        new_person,
        carl,
    )
    assert (deal.amount, deal.stage, deal.source_channel, deal.source_campaign) == (
        Decimal("1200.00"),
        proposal,
        "web",
        "spring",
    )
    stored = Lead.objects.get(pk=pooled.pk)
    assert stored == converted
    assert (stored.status, stored.owner, stored.version) == ("converted", carl, 2)
    assert stored.converted_at is not None
    assert (stored.converted_organization, stored.converted_person, stored.converted_deal) == (
        new_org,
        new_person,
        deal,
    )
    trail = [(e.verb, e.target_type) for e in events_since(mark)]
    assert trail == [
        (Verb.CREATE, "organization"),
        (Verb.CREATE, "person"),
        (Verb.UPDATE, "person"),  # the affiliation
        (Verb.CREATE, "deal"),
        (Verb.UPDATE, "lead"),
    ]
    assert events_since(mark)[-1].changes["status"] == ["new", "converted"]


def test_convert_reuses_existing_records_and_links_them(people):
    anna = people["anna"]
    existing_org = org(anna, "Nordlicht", legal_form="GmbH")
    existing_person = person(anna, "Paulsen", first_name="Petra")
    created = lead(anna, "Petra Paulsen", company="Nordlicht GmbH", email="petra@nordlicht.de")
    converted = lead_convert(
        actor=anna,
        lead_id=created.pk,
        organization_id=existing_org.pk,
        person_id=existing_person.pk,
        deal_data={"title": "Service"},
    )
    assert Organization.objects.count() == 1 and Person.objects.count() == 1
    assert Affiliation.objects.get().organization == existing_org
    assert (converted.converted_organization, converted.converted_person) == (
        existing_org,
        existing_person,
    )
    assert Deal.objects.get().organization == existing_org


def test_an_existing_link_is_kept_and_no_deal_is_made_when_not_wanted(people):
    anna = people["anna"]
    existing_org = org(anna, "Nordlicht")
    existing_person = person(anna, "Paulsen")
    affiliation_create(actor=anna, person_id=existing_person.pk, organization_id=existing_org.pk)
    created = lead(anna, "Petra Paulsen", company="Nordlicht")
    converted = lead_convert(
        actor=anna,
        lead_id=created.pk,
        organization_id=existing_org.pk,
        person_id=existing_person.pk,
        create_deal=False,
    )
    assert Affiliation.objects.count() == 1 and Deal.objects.count() == 0
    assert converted.status == "converted" and converted.converted_deal is None


def test_a_lead_without_company_becomes_a_person_with_a_deal(people):
    anna = people["anna"]
    created = lead(anna, "Petra", email="petra@gmail.com")
    converted = lead_convert(actor=anna, lead_id=created.pk)
    assert Organization.objects.count() == 0
    new_person = Person.objects.get()
    assert (new_person.first_name, new_person.last_name) == ("", "Petra")
    deal = Deal.objects.get()
    assert (deal.title, deal.person, deal.organization) == ("Petra", new_person, None)
    assert converted.converted_person == new_person
    # An organisation can also be left out on purpose.
    other = lead(anna, "Olaf", company="Ostwind")
    lead_convert(actor=anna, lead_id=other.pk, create_organization=False, create_deal=False)
    assert Organization.objects.count() == 0


@pytest.mark.parametrize(
    ("deal_data", "field"),
    [
        ({"currency": "XXY"}, "deal.currency"),
        ({"amount": Decimal("-5")}, "deal.amount"),
        ({"amount": Decimal("1.234")}, "deal.amount"),
        ({"title": ""}, "deal.title"),
        ({"stage_id": "other pipeline"}, "deal.stage_id"),
        ({"organization_id": 1}, "deal.organization_id"),
    ],
)
def test_a_deal_error_leaves_no_organisation_or_person_behind(people, deal_data, field):
    anna = people["anna"]
    if deal_data.get("stage_id") == "other pipeline":
        other = pipeline_create(actor=people["admin"], data={"name": "Renewals"})
        deal_data = {"stage_id": other.stages.first().pk, "pipeline_id": default_pipeline().pk}
    created = lead(anna, "Petra Paulsen", company="Nordlicht GmbH", email="petra@nordlicht.de")
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_convert(actor=anna, lead_id=created.pk, deal_data=deal_data)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert Organization.objects.count() == Person.objects.count() == 0
    assert Affiliation.objects.count() == Deal.objects.count() == 0


def test_records_to_reuse_must_be_visible_and_active(people):
    anna, ben = people["anna"], people["ben"]
    bens_org = org(ben, "Südwind")
    bens_person = person(ben, "Süd")
    archived = org(anna, "Altlast")
    organization_archive(actor=anna, organization_id=archived.pk)
    created = lead(anna, "Petra", company="Nordlicht")
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_convert(
            actor=anna, lead_id=created.pk, organization_id=bens_org.pk, person_id=bens_person.pk
        )
    assert caught.value.message_dict == {
        "organization_id": ["No organisation with this id."],
        "person_id": ["No person with this id."],
    }
    with leads_unchanged(), pytest.raises(ValidationError) as caught:
        lead_convert(actor=anna, lead_id=created.pk, organization_id=archived.pk)
    assert set(caught.value.message_dict) == {"organization_id"}


def test_refusals_change_nothing_and_record_one_denial(people, intake):
    anna = people["anna"]
    created = lead(anna, "Petra", company="Nordlicht")
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead_convert(actor=people["vera"], lead_id=created.pk)
    # max (marketing) may work pooled leads but not create deals: the deal service refuses,
    # and the organisation and person created before it are rolled back.
    pooled = public_lead(company="Ostwind")
    assert lead_may(people["max"], "edit", pooled)
    with leads_unchanged(denied=1), pytest.raises(PermissionDenied):
        lead_convert(actor=people["max"], lead_id=pooled.pk)
    lead_convert(actor=anna, lead_id=created.pk, create_deal=False)
    with leads_unchanged(), pytest.raises(ConflictError) as caught:
        lead_convert(actor=anna, lead_id=created.pk)
    assert caught.value.code == "converted"
