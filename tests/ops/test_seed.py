"""`kundenwert seed`: deterministic, valid, searchable, permission-correct bulk demo data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client

from kundenwert.activities.models import Activity
from kundenwert.activities.selectors import activity_list
from kundenwert.activities.services import _finish as activity_finish
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Affiliation, Organization, Person
from kundenwert.contacts.selectors import organization_list, person_list
from kundenwert.contacts.services import (
    _organization_finish,
    _person_finish,
    organization_create,
)
from kundenwert.core.normalize import (
    normalize_address,
    normalize_email,
    normalize_phone,
    normalize_vat_id,
)
from kundenwert.identity.models import User
from kundenwert.ops.seed import DEMO_USERS, seed
from kundenwert.org.models import Team
from kundenwert.org.policies import forget_permissions

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


def _digest() -> str:
    """Hash every seeded row; ids are replaced by their rank so equal data hashes equal."""
    users = dict(User.objects.values_list("pk", "username"))
    teams = dict(Team.objects.values_list("pk", "name"))
    orgs = {
        pk: i
        for i, pk in enumerate(Organization.objects.order_by("pk").values_list("pk", flat=True))
    }
    people = {
        pk: i for i, pk in enumerate(Person.objects.order_by("pk").values_list("pk", flat=True))
    }
    acts = {
        pk: i for i, pk in enumerate(Activity.objects.order_by("pk").values_list("pk", flat=True))
    }
    tags: dict[int, list[str]] = {}
    for org_id, name in Organization.tags.through.objects.order_by("tag__name").values_list(
        "organization_id", "tag__name"
    ):
        tags.setdefault(orgs[org_id], []).append(name)
    rows: list = []
    for org in Organization.objects.order_by("pk").values():
        org.update(
            id=orgs[org["id"]],
            owner_id=users[org["owner_id"]],
            team_id=teams.get(org["team_id"]),
            parent_id=orgs.get(org["parent_id"]),
        )
        org["tags"] = tags.get(org["id"], [])
        rows.append(org)
    for person in Person.objects.order_by("pk").values():
        person.update(
            id=people[person["id"]],
            owner_id=users[person["owner_id"]],
            team_id=teams.get(person["team_id"]),
        )
        rows.append(person)
    for aff in Affiliation.objects.order_by("person_id", "organization_id").values(
        "person_id", "organization_id", "role", "is_primary", "created_at", "version"
    ):
        aff.update(person_id=people[aff["person_id"]], organization_id=orgs[aff["organization_id"]])
        rows.append(aff)
    for act in Activity.objects.order_by("pk").values():
        pk = act["id"]
        act.update(
            id=acts[pk],
            owner_id=users[act["owner_id"]],
            assignee_id=users.get(act["assignee_id"]),
            team_id=teams.get(act["team_id"]),
            orgs=sorted(
                orgs[o]
                for o in Activity.organizations.through.objects.filter(activity_id=pk).values_list(
                    "organization_id", flat=True
                )
            ),
            people=sorted(
                people[p]
                for p in Activity.people.through.objects.filter(activity_id=pk).values_list(
                    "person_id", flat=True
                )
            ),
        )
        rows.append(act)
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


def _seeded_digest(**kwargs) -> str:
    """Seed inside a transaction, hash the data, roll everything back."""
    result = {}
    with pytest.raises(_Rollback), transaction.atomic():
        seed(now=NOW, **kwargs)
        result["digest"] = _digest()
        result["orgs"] = Organization.objects.count()
        raise _Rollback
    assert Organization.objects.count() == 0
    return result["digest"]


@pytest.mark.django_db
def test_same_seed_gives_identical_data_whatever_the_batch_size():
    first = _seeded_digest(customers=50, seed=7)
    again = _seeded_digest(customers=50, seed=7)
    other_batches = _seeded_digest(customers=50, seed=7, batch=7)
    other_seed = _seeded_digest(customers=50, seed=8)
    assert first == again == other_batches
    assert other_seed != first


@pytest.mark.django_db
def test_counts_audit_event_and_appending():
    first = seed(customers=50, seed=1, now=NOW)
    assert first.organizations == Organization.objects.count() == 50
    assert first.people == Person.objects.count() > 0
    assert first.affiliations == Affiliation.objects.count() > 0
    assert first.activities == Activity.objects.count() > 0
    events = list(AuditEvent.objects.filter(target_type="seed"))
    assert len(events) == 1
    assert AuditEvent.objects.count() == 1  # one summary event, not one per row
    assert events[0].verb == "create"
    assert events[0].changes["organizations"] == 50
    assert events[0].changes["people"] == first.people
    assert events[0].changes["activities"] == first.activities
    max_before = Organization.objects.order_by("-pk").values_list("pk", flat=True).first()
    second = seed(customers=30, seed=2, now=NOW)
    assert Organization.objects.count() == 80
    assert second.first_ids["organization"] > max_before
    assert User.objects.count() == len(DEMO_USERS)  # users are reused, not duplicated
    assert AuditEvent.objects.filter(target_type="seed").count() == 2


@pytest.mark.django_db
def test_seeded_values_pass_the_normalizers_and_match_the_services():
    seed(customers=300, seed=3, now=NOW)
    orgs = list(Organization.objects.all())
    vat_ids = [o.vat_id for o in orgs if o.vat_id]
    assert len(vat_ids) > 200
    assert {v[:2] for v in vat_ids} >= {"DE", "AT", "NL"}
    for org in orgs:
        if org.vat_id:
            assert normalize_vat_id(org.vat_id) == org.vat_id
        assert org.legal_form in Organization.LEGAL_FORMS
        assert org.emails and all(normalize_email(e) == e for e in org.emails)
        assert org.phones and all(normalize_phone(p) == p for p in org.phones)
        assert normalize_address(org.billing_address, "billing_address") == org.billing_address
        assert normalize_address(org.shipping_address, "shipping_address") == org.shipping_address
        expected_search, expected_domain = org.search_text, org.domain
        _organization_finish(org)
        assert (org.search_text, org.domain) == (expected_search, expected_domain)
    people = list(Person.objects.all())
    assert any(p.title for p in people) and any(not p.affiliations.exists() for p in people)
    for person in people:
        assert person.language in {"de", "en"}
        assert person.salutation in {"mr", "ms", "mx"}
        assert all(normalize_email(e) == e for e in person.emails)
        assert all(normalize_phone(p) == p for p in person.phones)
        for address in person.addresses:
            assert normalize_address(address, "addresses") == address
        expected = person.search_text
        _person_finish(person)
        assert person.search_text == expected
    assert (
        Affiliation.objects.filter(is_primary=True).count()
        == Person.objects.filter(affiliations__isnull=False).distinct().count()
    )
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    tasks = Activity.objects.filter(type="task")
    assert tasks.filter(is_done=False, due_at__lt=now).exists()  # overdue
    assert (
        tasks.filter(is_done=True).exists() and tasks.filter(is_done=False, due_at__gt=now).exists()
    )
    assert Activity.objects.filter(occurred_at__lt=now - dt.timedelta(days=365)).exists()
    assert not Activity.objects.filter(organizations__isnull=True, people__isnull=True).exists()
    for activity in Activity.objects.all()[:200]:
        expected = (
            activity.body_html,
            activity.search_text,
            activity.occurred_at,
            activity.done_at,
        )
        activity_finish(activity)
        assert (
            activity.body_html,
            activity.search_text,
            activity.occurred_at,
            activity.done_at,
        ) == expected
    assert set(Organization.objects.values_list("owner__username", flat=True)) >= {
        "anna",
        "ben",
        "carl",
        "mia",
        "sam",
    }


def _index_names() -> dict[str, set[str]]:
    tables = [
        m._meta.db_table
        for m in (Organization, Person, Affiliation, Activity, Organization.tags.through,
                  Person.tags.through, Activity.organizations.through, Activity.people.through)
    ]  # fmt: skip
    with connection.cursor() as cursor:
        result = {t: set(connection.introspection.get_constraints(cursor, t)) for t in tables}
    assert len(result["contacts_organization"]) > 10
    return result


@pytest.mark.django_db
@pytest.mark.parametrize("rebuild_threshold", [None, 0], ids=["triggers-kept", "bulk-rebuild"])
def test_search_finds_seeded_rows(rebuild_threshold):
    indexes_before = _index_names()
    seed(customers=60, seed=5, now=NOW, rebuild_threshold=rebuild_threshold)
    assert _index_names() == indexes_before  # dropped for the bulk load, and all back
    admin = User.objects.get(username="admin")
    org = Organization.objects.exclude(vat_id="").filter(archived_at__isnull=True).order_by("pk")[3]
    for term in (org.vat_id, org.emails[0], org.phones[0][3:9], org.name[:5]):
        found = [
            o.pk for o in organization_list(viewer=admin, params={"q": term, "limit": "200"}).rows
        ]
        assert org.pk in found, term
    person = Person.objects.exclude(phones=[]).order_by("pk")[2]
    for term in (person.last_name, person.emails[0], person.phones[0][-6:]):
        found = [p.pk for p in person_list(viewer=admin, params={"q": term, "limit": "200"}).rows]
        assert person.pk in found, term
    activity = Activity.objects.exclude(outcome="").order_by("pk")[0]
    found = [
        a.pk
        for a in activity_list(viewer=admin, params={"q": activity.outcome, "limit": "200"}).rows
    ]
    assert activity.pk in found
    # The index is live again: a row written afterwards through the service is found too.
    created = organization_create(actor=admin, data={"name": "Zyxwvu Nachher GmbH"})
    found = [o.pk for o in organization_list(viewer=admin, params={"q": "zyxwvu"}).rows]
    assert found == [created.pk]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE '%_fts_a_'"
            )
            # organisations, people, activities, products, deals, leads: 3 triggers each
            assert cursor.fetchone()[0] == 3 * len(SEARCHABLE_TABLES)
        else:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%_search_trgm'")
            assert cursor.fetchone()[0] == len(SEARCHABLE_TABLES)


# Every table with a search index (kundenwert.core.search_migrations.SearchIndex).
SEARCHABLE_TABLES = (
    "contacts_organization",
    "contacts_person",
    "activities_activity",
    "catalog_product",
    "sales_deal",
    "sales_lead",
)


@pytest.mark.django_db
def test_demo_users_have_roles_teams_and_password():
    seed(customers=5, seed=1, now=NOW)
    expected = {
        "admin": ("administrator", []), "anna": ("sales", ["Nord"]), "ben": ("sales", ["Süd"]),
        "vera": ("read-only", []), "mia": ("manager", ["Nord"]), "carl": ("sales", ["Nord"]),
        "sam": ("service", ["Süd"]), "max": ("marketing", []),
    }  # fmt: skip
    for username, (role, teams) in expected.items():
        user = User.objects.get(username=username)
        assert list(user.roles.values_list("key", flat=True)) == [role]
        assert list(user.teams.values_list("name", flat=True)) == teams
        assert Client().login(username=username, password="demo"), username
    # Idempotent: a second run neither duplicates memberships nor resets a changed password.
    anna = User.objects.get(username="anna")
    anna.set_password("changed-by-anna")
    anna.save()
    seed(customers=5, seed=2, now=NOW)
    assert Client().login(username="anna", password="changed-by-anna")
    assert User.objects.get(username="anna").roles.count() == 1
    assert Team.objects.get(name="Nord").members.count() == 3


@pytest.mark.django_db
def test_permissions_apply_to_seeded_data():
    seed(customers=120, seed=9, now=NOW)
    anna, ben = User.objects.get(username="anna"), User.objects.get(username="ben")
    forget_permissions(anna)
    nord, sued = Team.objects.get(name="Nord"), Team.objects.get(name="Süd")
    seen: list[int] = []
    params = {"limit": "200"}
    while True:
        page = organization_list(viewer=anna, params=params)
        seen.extend(o.pk for o in page.rows)
        if not page.next_cursor:
            break
        params = {"limit": "200", "cursor": page.next_cursor}
    expected = set(
        Organization.objects.filter(team=nord, archived_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    assert len(expected) > 20
    assert set(seen) == expected and len(seen) == len(expected)
    ben_seen = {o.pk for o in organization_list(viewer=ben, params={"limit": "200"}).rows}
    assert ben_seen and not ben_seen & expected
    assert all(Organization.objects.get(pk=pk).team_id == sued.pk for pk in ben_seen)


@pytest.mark.django_db
def test_command_seeds_and_rejects_bad_input(capsys):
    call_command("seed", customers=4, seed=3, no_progress=True)
    out = capsys.readouterr().out
    assert "Seeded 4 organisations" in out
    assert Organization.objects.count() == 4
    for bad, message in (
        ({"customers": -1}, "--customers must be 0 or more."),
        ({"customers": 5, "batch": 0}, "--batch must be at least 1."),
        ({"customers": 5, "people_per_org": -2.0}, "--people-per-org must be between 0 and 20."),
    ):
        with pytest.raises(CommandError) as exc:
            call_command("seed", no_progress=True, **bad)
        assert str(exc.value) == message
    assert Organization.objects.count() == 4
    assert AuditEvent.objects.filter(target_type="seed").count() == 1


@pytest.mark.django_db
def test_a_run_repairs_indexes_a_killed_bulk_load_left_dropped():
    seed(customers=3, now=NOW)
    indexes_before = _index_names()
    with connection.cursor() as cursor:
        cursor.execute('DROP INDEX "org_name_id"')
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER contacts_person_fts_ai")
        else:
            cursor.execute("DROP INDEX contacts_person_search_trgm")
    assert _index_names() != indexes_before
    admin = User.objects.get(username="admin")
    person = Person.objects.create(last_name="Zyxwvu", owner=admin, search_text="zyxwvu")
    seed(customers=0, now=NOW)
    assert _index_names() == indexes_before
    found = [p.pk for p in person_list(viewer=admin, params={"q": "zyxwvu"}).rows]
    assert found == [person.pk]  # written while the trigger was missing, found after the repair
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'contacts_person_fts_ai'"
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'contacts_person_search_trgm'"
            )
        assert cursor.fetchone()[0] == 1
