"""Fixtures of the API suite: a small world owned by anna (sales, Nord) and tokens for everyone."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests

from kundenwert.activities.models import Activity
from kundenwert.activities.services import activity_create
from kundenwert.api.urls import api as ninja_api
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization, Person
from kundenwert.contacts.services import affiliation_create, organization_create, person_create
from kundenwert.org.models import Team
from tests.conftest import Api, issue_token

# The live server needs a transactional database. Its flush also wipes the shipped roles that
# migration org/0002 created, so restore the migrated contents before each test.
LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def settle(session: requests.Session, base_url: str) -> None:
    """Let the server thread finish the last request before the test blocks the database.

    The server closes its database connection just after it has sent a response; a test that
    ends at once races it and leaves a harmless but noisy traceback. A last request on the same
    keep-alive connection that needs no database waits for that close.
    """
    session.get(f"{base_url}/api/v1/openapi.json", timeout=30)
    session.close()


@pytest.fixture
def api(live_server):
    """The shared real-HTTP client, settled at the end of the test."""
    client = Api(live_server.url)
    yield client
    settle(client.session, live_server.url)


@dataclass
class World:
    """anna's records (team Nord) and a token for every role the tests need."""

    people: dict
    org: Organization
    person: Person
    affiliation: Affiliation
    activity: Activity
    team: Team
    tokens: dict[str, str]


@pytest.fixture
def world(people) -> World:
    anna = people["anna"]
    org = organization_create(
        actor=anna, data={"name": "Nordlicht GmbH", "vat_id": "DE136695976", "tags": ["key"]}
    )
    person = person_create(
        actor=anna,
        data={"first_name": "Petra", "last_name": "Paulsen", "emails": ["petra@nordlicht.example"]},
    )
    affiliation = affiliation_create(
        actor=anna, person_id=person.pk, organization_id=org.pk, role="CEO", is_primary=True
    )
    activity = activity_create(
        actor=anna,
        data={
            "type": "call",
            "subject": "Kick-off",
            "organization_ids": [org.pk],
            "person_ids": [person.pk],
        },
    )
    tokens = {
        "admin": issue_token(people["admin"]),
        "anna": issue_token(anna),
        "anna_ro": issue_token(anna, read_only=True),
        "ben": issue_token(people["ben"]),
        "vera": issue_token(people["vera"]),
    }
    return World(people, org, person, affiliation, activity, Team.objects.get(name="Nord"), tokens)


def api_routes() -> list[tuple[str, str]]:
    """Return (METHOD, path below /api/v1) of every operation registered on the Ninja API."""
    routes = []
    for prefix, router in ninja_api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = re.sub("/+", "/", f"/{prefix}/{path}").rstrip("/") or "/"
                routes.extend((method, full) for method in operation.methods)
    return routes


def state(world: World) -> dict:
    """Snapshot what a refused request must not change: counts, the target rows, the trail."""
    targets = {
        Organization: world.org.pk,
        Person: world.person.pk,
        Affiliation: world.affiliation.pk,
        Activity: world.activity.pk,
    }
    return {
        "counts": {m.__name__: m.objects.count() for m in targets},
        "links": (
            Activity.organizations.through.objects.count(),
            Activity.people.through.objects.count(),
            Organization.tags.through.objects.count(),
            Person.tags.through.objects.count(),
        ),
        "rows": {m.__name__: list(m.objects.filter(pk=pk).values()) for m, pk in targets.items()},
        "audit": AuditEvent.objects.exclude(verb=AuditEvent.Verb.PERMISSION_DENIED).count(),
    }


def denials() -> int:
    return AuditEvent.objects.filter(verb=AuditEvent.Verb.PERMISSION_DENIED).count()


PROBLEM_KEYS = {"code", "detail", "errors"}
