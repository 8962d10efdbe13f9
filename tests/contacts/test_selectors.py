"""Selector tests: list filters, allow-listed sorts, keyset pagination and `q` search."""

from __future__ import annotations

import datetime as dt

import pytest

from kundenwert.contacts.models import Organization, Person
from kundenwert.contacts.selectors import (
    contacts_search,
    organization_get,
    organization_list,
    person_get,
    person_list,
)
from kundenwert.contacts.services import (
    affiliation_create,
    organization_archive,
    organization_update,
)
from kundenwert.core.errors import NotFound, ValidationError
from kundenwert.org.models import Team
from tests.contacts.factories import org, person

T0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def names(page) -> list[str]:
    return [o.name for o in page.rows]


def ids(page) -> list[int]:
    return [o.pk for o in page.rows]


def walk(lister, viewer, params: dict[str, str]) -> list[int]:
    """Follow `next_cursor` to the end and return every id in page order."""
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        page = lister(viewer=viewer, params={**params, **({"cursor": cursor} if cursor else {})})
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("pagination does not end")


@pytest.fixture
def many(people):
    """25 organisations of anna with repeated names and repeated creation/update times."""
    anna = people["anna"]
    created = [org(anna, ["Alpha", "Beta", "Gamma", "Delta"][i % 4]) for i in range(25)]
    for i, o in enumerate(created):
        Organization.objects.filter(pk=o.pk).update(
            created_at=T0 + dt.timedelta(hours=i % 3), updated_at=T0 + dt.timedelta(hours=i % 5)
        )
    return list(Organization.objects.filter(pk__in=[o.pk for o in created]))


ORDERS = {
    "name": lambda o: (o.name, o.pk),
    "created": lambda o: (o.created_at, o.pk),
    "updated": lambda o: (o.updated_at, o.pk),
}


@pytest.mark.parametrize("size", range(1, 8))
@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created", "updated", "-updated"])
def test_keyset_pagination_returns_every_row_once(people, many, sort, size):
    key = ORDERS[sort.lstrip("-")]
    expected = [o.pk for o in sorted(many, key=key, reverse=sort.startswith("-"))]
    assert walk(organization_list, people["anna"], {"sort": sort, "limit": str(size)}) == expected


@pytest.mark.parametrize("size", [1, 4, 7])
def test_person_pagination_over_duplicate_names(people, size):
    anna = people["anna"]
    made = [
        person(anna, ["Meier", "Schulz"][i % 2], first_name=["Eva", "Jan", "Eva"][i % 3])
        for i in range(25)
    ]
    expected = [p.pk for p in sorted(made, key=lambda p: (p.last_name, p.first_name, p.pk))]
    assert walk(person_list, anna, {"limit": str(size)}) == expected
    assert walk(person_list, anna, {"limit": str(size), "sort": "-name"}) == expected[::-1]


def test_filters(people):
    anna, carl, mia = people["anna"], people["carl"], people["mia"]
    a = org(anna, "A", status="customer", tags=["messe"])
    b = org(carl, "B", status="partner", tags=["messe", "vip"])
    c = org(anna, "C", status="former_customer", parent_id=a.pk)
    d = org(people["admin"], "D")  # no team; out of mia's team reach but she reads all
    nord = Team.objects.get(name="Nord")
    Organization.objects.filter(pk=b.pk).update(updated_at=T0)
    organization_archive(actor=anna, organization_id=c.pk)

    def listed(**params):
        return names(organization_list(viewer=mia, params=params))

    assert listed() == ["A", "B", "D"]
    assert listed(owner=str(anna.pk)) == ["A"]
    assert listed(team=str(nord.pk)) == ["A", "B"]
    assert listed(tag="messe") == ["A", "B"]
    assert listed(tag="vip") == ["B"]
    assert listed(tag="nope") == []
    assert listed(status="customer,partner") == ["A", "B"]
    assert listed(status="prospect") == ["D"]
    assert listed(archived="true") == ["C"]
    assert listed(archived="false") == ["A", "B", "D"]
    assert listed(parent=str(a.pk), archived="true") == ["C"]
    assert listed(updated_since="2026-01-02") == ["A", "D"]
    assert listed(updated_since=(T0 - dt.timedelta(seconds=1)).isoformat()) == ["A", "B", "D"]
    assert d.pk


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"sort": "vat_id"}, "sort"),
        ({"sort": "-password"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"owner": "anna"}, "owner"),
        ({"status": "lead"}, "status"),
        ({"archived": "maybe"}, "archived"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJzIjoibmFtZSJ9"}, "cursor"),
        ({"q": "a"}, "q"),
    ],
)
def test_bad_list_parameters_are_validation_errors(people, params, field):
    org(people["anna"], "A")
    with pytest.raises(ValidationError) as info:
        organization_list(viewer=people["anna"], params=params)
    assert field in info.value.message_dict


def test_a_cursor_of_another_sort_is_refused(people):
    for name in "ABC":
        org(people["anna"], name)
    cursor = organization_list(viewer=people["anna"], params={"limit": "1"}).next_cursor
    with pytest.raises(ValidationError) as info:
        organization_list(viewer=people["anna"], params={"sort": "-name", "cursor": cursor})
    assert set(info.value.message_dict) == {"cursor"}


def test_person_list_unknown_parameter_and_organization_filter(people):
    anna = people["anna"]
    company = org(anna, "Nord GmbH")
    inside, outside = person(anna, "Innen"), person(anna, "Außen")
    affiliation_create(actor=anna, person_id=inside.pk, organization_id=company.pk)
    params = {"organization": str(company.pk)}
    assert ids(person_list(viewer=anna, params=params)) == [inside.pk]
    assert outside.pk in ids(person_list(viewer=anna, params={}))
    with pytest.raises(ValidationError) as info:
        person_list(viewer=anna, params={"status": "customer"})
    assert set(info.value.message_dict) == {"status"}


def test_lists_and_gets_respect_visibility(people):
    nord, sued = org(people["anna"], "Nord GmbH"), org(people["ben"], "Süd GmbH")
    assert names(organization_list(viewer=people["carl"], params={})) == ["Nord GmbH"]
    assert names(organization_list(viewer=people["ben"], params={})) == ["Süd GmbH"]
    assert names(organization_list(viewer=people["vera"], params={})) == ["Nord GmbH", "Süd GmbH"]
    assert organization_get(viewer=people["carl"], organization_id=nord.pk) == nord
    with pytest.raises(NotFound):
        organization_get(viewer=people["carl"], organization_id=sued.pk)
    hidden = person(people["ben"], "Süd")
    with pytest.raises(NotFound):
        person_get(viewer=people["anna"], person_id=hidden.pk)
    assert person_get(viewer=people["sam"], person_id=hidden.pk) == hidden


# --- search ------------------------------------------------------------------------------------


@pytest.fixture
def searchable(people):
    anna, ben = people["anna"], people["ben"]
    return {
        "acme": org(
            anna,
            "Acme Maschinenbau",
            vat_id="DE136695976",
            emails=["info@acme-mb.de"],
            phones=["+49 89 1234567"],
        ),
        "zeta": org(anna, "Zeta Logistik", emails=["kontakt@zeta.example"]),
        "hidden": org(ben, "Acme Süd", phones=["+49 89 1234568"]),
        "erika": person(
            anna,
            "Mustermann",
            first_name="Erika",
            emails=["erika@muster.de"],
            phones=["0171 2345678"],
        ),
    }


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("acme", ["Acme Maschinenbau"]),
        ("ACME masch", ["Acme Maschinenbau"]),
        ("schinen", ["Acme Maschinenbau"]),
        ("info@acme-mb.de", ["Acme Maschinenbau"]),
        ("acme-mb", ["Acme Maschinenbau"]),
        ("1234567", ["Acme Maschinenbau"]),
        ("+49891234", ["Acme Maschinenbau"]),
        ("DE136695976", ["Acme Maschinenbau"]),
        ("136695", ["Acme Maschinenbau"]),
        ("ze", ["Zeta Logistik"]),
        ("ac", ["Acme Maschinenbau"]),
        ("89", ["Acme Maschinenbau"]),
        ("zeta.example", ["Zeta Logistik"]),
        ("nirgends", []),
        ('"quoted"', []),
        ("100%", []),
        ("a_b", []),
    ],
)
def test_q_finds_visible_organizations(people, searchable, term, expected):
    assert names(organization_list(viewer=people["anna"], params={"q": term})) == expected


def test_q_finds_people_by_name_email_and_phone(people, searchable):
    for term in ("erika", "mustermann", "muster.de", "2345678", "er"):
        page = person_list(viewer=people["anna"], params={"q": term})
        assert ids(page) == [searchable["erika"].pk], term
    assert ids(person_list(viewer=people["ben"], params={"q": "erika"})) == []


def test_q_follows_updates_archiving_and_visibility(people, searchable):
    acme = searchable["acme"]
    organization_update(actor=people["anna"], organization_id=acme.pk, data={"name": "Omega AG"})
    assert names(organization_list(viewer=people["anna"], params={"q": "maschinen"})) == []
    assert names(organization_list(viewer=people["anna"], params={"q": "omega"})) == ["Omega AG"]
    assert names(organization_list(viewer=people["ben"], params={"q": "acme"})) == ["Acme Süd"]
    assert names(organization_list(viewer=people["vera"], params={"q": "acme"})) == [
        "Acme Süd",
        "Omega AG",
    ]
    organization_archive(actor=people["anna"], organization_id=acme.pk)
    assert names(organization_list(viewer=people["anna"], params={"q": "omega"})) == []
    page = organization_list(viewer=people["anna"], params={"q": "omega", "archived": "true"})
    assert names(page) == ["Omega AG"]


def test_cross_entity_search(people, searchable):
    found = contacts_search(viewer=people["anna"], params={"q": "mu"})
    assert [p.pk for p in found["people"]] == [searchable["erika"].pk]
    found = contacts_search(viewer=people["anna"], params={"q": "acme"})
    assert [o.name for o in found["organizations"]] == ["Acme Maschinenbau"]
    assert found["people"] == []
    with pytest.raises(ValidationError) as info:
        contacts_search(viewer=people["anna"], params={"q": "x", "sort": "name"})
    assert set(info.value.message_dict) == {"q", "sort"}


def test_q_finds_own_record_among_many_invisible_matches(people):
    ben = people["ben"]
    Organization.objects.bulk_create(
        Organization(name=f"Acme {i}", owner=ben, search_text=f"acme {i}") for i in range(1000)
    )
    mine = org(people["anna"], "Acme Nord")
    assert ids(organization_list(viewer=people["anna"], params={"q": "acme"})) == [mine.pk]
    assert ids(organization_list(viewer=people["anna"], params={"q": "ac"})) == [mine.pk]


def test_person_filters(people):
    anna, carl = people["anna"], people["carl"]
    a = person(anna, "Albers", tags=["vip"])
    b = person(carl, "Brandt")
    c = person(people["admin"], "Claasen", tags=["vip"])
    nord = Team.objects.get(name="Nord")
    Person.objects.filter(pk=a.pk).update(updated_at=T0)

    def listed(**params):
        return [p.last_name for p in person_list(viewer=people["mia"], params=params).rows]

    assert listed() == ["Albers", "Brandt", "Claasen"]
    assert listed(owner=str(carl.pk)) == ["Brandt"]
    assert listed(team=str(nord.pk)) == ["Albers", "Brandt"]
    assert listed(tag="vip") == ["Albers", "Claasen"]
    assert listed(updated_since="2026-02-01T00:00:00+01:00") == ["Brandt", "Claasen"]
    assert listed(sort="-created") == ["Claasen", "Brandt", "Albers"]
    assert {b.pk, c.pk}
