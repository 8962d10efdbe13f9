"""Bulk actions on the lists: owner, tags, archive — record by record, each through its service."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Organization, Person
from kundenwert.contacts.services import organization_create, person_create
from kundenwert.web import bulk

from . import test_journeys as journeys

# The browser fixtures of the journeys, made available here.
browser, page = journeys.browser, journeys.page

pytestmark = pytest.mark.django_db


def signed_in(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, headers={"accept-language": "en"})
    client.force_login(user)
    return client


def flashes(response) -> list[str]:
    """Return the flash messages the page after the redirect showed (and so consumed)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def landed(response) -> str:
    """Return where the bulk post redirected to."""
    return response.redirect_chain[0][0]


def tags_of(model, pk: int) -> list[str]:
    return sorted(model.objects.get(pk=pk).tags.values_list("name", flat=True))


def events(verb: str, target_type: str = "organization") -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(verb=verb, target_type=target_type)
    return sorted(rows.values_list("target_id", "actor__username"))


@pytest.fixture
def orgs(world) -> dict[str, Organization]:
    """anna's two, her teammate carl's one, and ben's (other team) one."""
    people = world.people
    return {
        "anna1": world.org,
        "anna2": organization_create(actor=people["anna"], data={"name": "Ostsee", "tags": ["a"]}),
        "carl": organization_create(actor=people["carl"], data={"name": "Carls Laden"}),
        "ben": world.other_org,
    }


def post(client: Client, path: str, ids, **data):
    return client.post(path, {"ids": [str(i) for i in ids], **data}, follow=True)


def test_add_tag_happy_path_writes_one_audit_event_per_record(world, orgs):
    anna = signed_in(world.people["anna"])
    ids = [orgs["anna1"].pk, orgs["anna2"].pk]
    before = AuditEvent.objects.count()
    response = post(anna, "/organizations/bulk/", ids, action="add_tag", tag="hot")
    assert response.redirect_chain == [("/organizations/", 302)]
    assert flashes(response) == ["2 changed, 0 refused"]
    assert tags_of(Organization, orgs["anna1"].pk) == ["hot", "vip"]
    assert tags_of(Organization, orgs["anna2"].pk) == ["a", "hot"]
    assert AuditEvent.objects.count() == before + 2
    assert events("update") == sorted((str(pk), "anna") for pk in ids)
    # Adding it again changes nothing and writes nothing.
    response = post(anna, "/organizations/bulk/", ids, action="add_tag", tag="hot")
    assert flashes(response) == ["0 changed, 2 already as asked, 0 refused"]
    assert AuditEvent.objects.count() == before + 2


def test_remove_tag(world, orgs):
    anna = signed_in(world.people["anna"])
    ids = [orgs["anna1"].pk, orgs["anna2"].pk]
    response = post(anna, "/organizations/bulk/", ids, action="remove_tag", tag="vip")
    assert flashes(response) == ["1 changed, 1 already as asked, 0 refused"]
    assert tags_of(Organization, orgs["anna1"].pk) == []
    assert tags_of(Organization, orgs["anna2"].pk) == ["a"]
    assert events("update") == [(str(orgs["anna1"].pk), "anna")]


def test_assign_owner(world, orgs):
    admin = signed_in(world.people["admin"])
    ben = world.people["ben"]
    ids = [orgs["anna1"].pk, orgs["carl"].pk]
    response = post(admin, "/organizations/bulk/", ids, action="owner", owner_id=str(ben.pk))
    assert flashes(response) == ["2 changed, 0 refused"]
    assert sorted(Organization.objects.filter(owner=ben).values_list("name", flat=True)) == [
        "Carls Laden",
        "Nordlicht",
        "Südwind",
    ]
    assert events("update") == sorted((str(pk), "admin") for pk in ids)


def test_archive_people(world):
    anna_user = world.people["anna"]
    other = person_create(actor=anna_user, data={"first_name": "Ole", "last_name": "Jensen"})
    anna = signed_in(anna_user)
    ids = [world.person.pk, other.pk]
    response = post(anna, "/people/bulk/", ids, action="archive", next="/people/?q=x")
    assert landed(response) == "/people/?q=x"
    assert flashes(response) == ["2 changed, 0 refused"]
    assert Person.objects.filter(pk__in=ids, archived_at__isnull=False).count() == 2
    assert events("archive", "person") == sorted((str(pk), "anna") for pk in ids)


def test_mixed_permissions_change_only_what_the_user_may(world, orgs):
    """anna: her own → changed; carl's (teammate, sales edits own only) → refused; ben's → 404."""
    anna = signed_in(world.people["anna"])
    ids = [orgs["anna1"].pk, orgs["carl"].pk, orgs["ben"].pk]
    versions = dict(Organization.objects.values_list("pk", "version"))
    response = post(anna, "/organizations/bulk/", ids, action="add_tag", tag="hot")
    assert flashes(response) == [
        "1 changed, 2 refused",
        "Carls Laden: You may not change this organisation.",
        f"#{orgs['ben'].pk}: not found",
    ]
    assert tags_of(Organization, orgs["anna1"].pk) == ["hot", "vip"]
    assert tags_of(Organization, orgs["carl"].pk) == []
    assert tags_of(Organization, orgs["ben"].pk) == []
    after = dict(Organization.objects.values_list("pk", "version"))
    assert after == {**versions, orgs["anna1"].pk: versions[orgs["anna1"].pk] + 1}
    assert events("update") == [(str(orgs["anna1"].pk), "anna")]
    assert AuditEvent.objects.filter(verb="permission_denied", actor__username="anna").count() == 1
    # Ben's name is never shown to anna.
    assert not any("Südwind" in line for line in flashes(response))

    response = post(anna, "/organizations/bulk/", ids, action="archive")
    assert flashes(response)[0] == "1 changed, 2 refused"
    archived = Organization.objects.filter(archived_at__isnull=False)
    assert list(archived.values_list("pk", flat=True)) == [orgs["anna1"].pk]


def test_read_only_user_is_refused_everything(world, orgs):
    vera = signed_in(world.people["vera"])
    ids = [org.pk for org in orgs.values()]
    snapshot = sorted(Organization.objects.values_list("pk", "version", "owner_id", "archived_at"))
    before = AuditEvent.objects.exclude(verb="permission_denied").count()
    response = post(vera, "/organizations/bulk/", ids, action="archive")
    assert flashes(response)[0] == "0 changed, 4 refused"
    response = post(vera, "/organizations/bulk/", ids, action="add_tag", tag="x")
    assert flashes(response)[0] == "0 changed, 4 refused"
    assert sorted(Organization.objects.values_list("pk", "version", "owner_id", "archived_at")) == (
        snapshot
    )
    assert AuditEvent.objects.exclude(verb="permission_denied").count() == before


def test_csrf_is_required(world, orgs):
    anna = signed_in(world.people["anna"], csrf=True)
    response = post(anna, "/organizations/bulk/", [orgs["anna1"].pk], action="archive")
    assert response.status_code == 403
    assert Organization.objects.filter(archived_at__isnull=False).count() == 0


def test_get_is_not_allowed(world):
    anna = signed_in(world.people["anna"])
    assert anna.get("/organizations/bulk/").status_code == 405


def test_too_many_ids_are_refused_before_any_work(world, orgs):
    anna = signed_in(world.people["anna"])
    ids = [orgs["anna1"].pk, *range(100_000, 100_000 + bulk.MAX_IDS)]
    response = post(anna, "/organizations/bulk/", ids, action="archive")
    assert flashes(response) == ["Select at most 500 rows at a time."]
    assert Organization.objects.filter(archived_at__isnull=False).count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ids": ["1"], "action": "owner"}, "Choose the new owner."),
        ({"ids": ["1"], "action": "add_tag", "tag": " "}, "Enter a tag."),
        ({"ids": ["1"], "action": "explode"}, None),
        ({"action": "archive"}, "Select at least one row."),
        ({"ids": ["1", "x"], "action": "archive"}, "Invalid selection."),
    ],
)
def test_invalid_requests_change_nothing(world, orgs, data, message):
    anna = signed_in(world.people["anna"])
    before = AuditEvent.objects.count()
    response = anna.post(
        "/organizations/bulk/", {"next": "https://evil.example/", **data}, follow=True
    )
    assert landed(response) == "/organizations/"
    lines = flashes(response)
    assert len(lines) == 1
    if message:
        assert lines == [message]
    assert AuditEvent.objects.count() == before
    assert Organization.objects.filter(archived_at__isnull=False).count() == 0


def test_list_offers_checkboxes_the_bulk_form_and_its_script(world, orgs):
    anna = signed_in(world.people["anna"])
    body = anna.get("/organizations/").content.decode()
    assert '<form id="bulk-form" class="bulk-bar" method="post" action="/organizations/bulk/">' in (
        body
    )
    assert f'name="ids" value="{orgs["anna1"].pk}" form="bulk-form"' in body
    assert f'value="{orgs["ben"].pk}" form="bulk-form"' not in body
    assert "/static/web/bulk.js" in body
    assert "csrfmiddlewaretoken" in body


def test_summary_and_reasons_are_translated(world, orgs):
    anna = Client(headers={"accept-language": "de"})
    anna.force_login(world.people["anna"])
    ids = [orgs["anna2"].pk, orgs["carl"].pk, orgs["ben"].pk]
    response = post(anna, "/organizations/bulk/", ids, action="remove_tag", tag="a")
    assert flashes(response) == [
        "1 geändert, 2 abgelehnt",
        "Carls Laden: Sie dürfen diese Organisation nicht ändern.",
        f"#{orgs['ben'].pk}: nicht gefunden",
    ]


# The live server needs committed data; restoring the serialized roles keeps later tests whole.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_browser_select_all_then_tag_after_filtering(page, world):
    """Filter the list (htmx swaps the table), tick all rows with the header box, add a tag."""
    anna = world.people["anna"]
    organization_create(actor=anna, data={"name": "Nordwind"})
    organization_create(actor=anna, data={"name": "Ostsee"})
    journeys.sign_in(page)
    page.goto("/organizations/")
    rows = page.locator("#rows tr")
    journeys.expect(rows).to_have_count(3)
    page.get_by_role("searchbox", name="Suchen", exact=True).fill("nord")
    journeys.expect(rows).to_have_count(2)
    # Leaving the search box fires "change": the filter form swaps the table in again, and
    # the ticks must survive that.
    page.get_by_role("checkbox", name="Alle Zeilen auswählen").check()
    page.wait_for_load_state("networkidle")
    journeys.expect(page.locator('#rows input[name="ids"]:checked')).to_have_count(2)
    page.get_by_label("Aktion").select_option("add_tag")
    page.get_by_label("Schlagwort", exact=True).last.fill("Messe")
    page.get_by_role("button", name="Ausführen").click()
    journeys.expect(page.locator(".flash").first).to_have_text("2 geändert, 0 abgelehnt")
    journeys.expect(page).to_have_url(re.compile(r"/organizations/\?q=nord$"))
    page.screenshot(path=str(journeys.ARTIFACTS / "web-bulk.png"), full_page=True)
    tagged = Organization.objects.filter(tags__name="Messe")
    assert sorted(tagged.values_list("name", flat=True)) == ["Nordlicht", "Nordwind"]


def test_the_quick_select_writes_what_djangos_select_writes():
    import re as regex

    from django import forms

    choices = [("", "—"), (1, 'Anna <b>"&"</b>'), (22, "Ben"), ("x'y", "Quote")]
    for value in (None, "", 1, "22", "x'y"):
        attrs = {"id": "id_bulk_owner_id", "required": True}
        quick = bulk.QuickSelect(choices=choices).render("owner_id", value, attrs)
        django = forms.Select(choices=choices).render("owner_id", value, attrs)
        assert quick == regex.sub(r">\s+<", "><", str(django)).strip()
