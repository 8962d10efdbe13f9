"""Fixtures of the web suite: a small world of anna's (team Nord) and ben's (team Süd) records."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from kundenwert.activities.models import Activity
from kundenwert.activities.services import activity_create
from kundenwert.contacts.models import Organization, Person
from kundenwert.contacts.services import affiliation_create, organization_create, person_create


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hash passwords cheaply: the suite creates users in every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    people: dict
    org: Organization  # anna's, team Nord
    other_org: Organization  # ben's, team Süd
    person: Person  # anna's, works at org
    note: Activity  # anna's note on org


@pytest.fixture
def world(people) -> World:
    anna, ben = people["anna"], people["ben"]
    org = organization_create(
        actor=anna,
        data={"name": "Nordlicht", "legal_form": "GmbH", "status": "customer", "tags": ["vip"]},
    )
    other = organization_create(actor=ben, data={"name": "Südwind", "legal_form": "AG"})
    person = person_create(
        actor=anna, data={"first_name": "Greta", "last_name": "Hansen", "job_title": "CFO"}
    )
    affiliation_create(actor=anna, person_id=person.pk, organization_id=org.pk, role="Buyer")
    note = activity_create(
        actor=anna,
        data={"type": "note", "subject": "Met at the fair", "organization_ids": [org.pk]},
    )
    return World(people=people, org=org, other_org=other, person=person, note=note)


def client_for(user) -> Client:
    """Return a test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def anna(world) -> Client:
    return client_for(world.people["anna"])
