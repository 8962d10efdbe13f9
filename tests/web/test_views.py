"""The web views through Django's test client: pages, partials, permissions, forms, headers."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.conf import settings
from django.test import Client

from kundenwert.activities.models import Activity
from kundenwert.audit.models import AuditEvent
from kundenwert.contacts.models import Organization, Person
from kundenwert.contacts.services import organization_create, organization_update
from kundenwert.web.middleware import CONTENT_SECURITY_POLICY
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


def names_in_table(response) -> list[str]:
    """Return the link texts of the first column, in order."""
    return re.findall(r'<td><a href="/[a-z]+/\d+/">([^<]+)</a></td>', html(response))


# --- sign-in, language, shell -------------------------------------------------------------------


def test_pages_need_sign_in(world):
    client = Client()
    for url in ("/", "/organizations/", f"/organizations/{world.org.pk}/", "/people/new/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_sign_in_switches_to_the_users_language(world):
    anna = world.people["anna"]
    anna.language = "en"
    anna.save(update_fields=["language"])
    client = Client()
    login_page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de")
    assert 'lang="de"' in html(login_page)
    response = client.post(
        "/accounts/login/", {"username": "anna", "password": "demo"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert 'lang="en"' in html(home)
    assert "My open tasks" in html(home)
    assert AuditEvent.objects.filter(verb="login", actor=anna).count() == 1


def test_wrong_password_is_refused_without_saying_which_part(world):
    client = Client()
    for username in ("anna", "nobody"):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong"})
        assert response.status_code == 200
        assert "error" in html(response)
    assert "_auth_user_id" not in client.session


def test_language_switch_sets_the_cookie(anna):
    response = anna.post("/i18n/setlang/", {"language": "en", "next": "/organizations/"})
    assert response.status_code == 302
    assert response["Location"] == "/organizations/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = anna.get("/organizations/")
    assert 'lang="en"' in html(page)
    assert "<h1>Organisations</h1>" in html(page)
    anna.post("/i18n/setlang/", {"language": "de", "next": "/organizations/"})
    assert "<h1>Organisationen</h1>" in html(anna.get("/organizations/"))


def test_sign_out_is_a_post(anna):
    assert anna.get("/accounts/logout/").status_code == 405
    response = anna.post("/accounts/logout/")
    assert response.status_code == 302
    assert anna.get("/").status_code == 302


def test_password_change(world):
    client = client_for(world.people["anna"])
    bad = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert bad.status_code == 200
    assert 'class="errorlist"' in html(bad)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "demo",
            "new_password1": "Lichtung-am-Fjord-27",
            "new_password2": "Lichtung-am-Fjord-27",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "flash-success" in html(response)
    assert Client().login(username="anna", password="Lichtung-am-Fjord-27")


def test_shell_has_navigation_user_menu_and_flash_messages(anna, world):
    response = anna.post(f"/organizations/{world.org.pk}/archive/", follow=True)
    page = html(response)
    for url in ("/", "/organizations/", "/people/", "/accounts/password/", "/accounts/logout/"):
        assert f'href="{url}' in page or f'action="{url}"' in page, url
    assert 'class="flash flash-success"' in page
    assert 'name="viewport"' in page


# --- Content-Security-Policy ------------------------------------------------------------------


def test_every_html_page_has_a_strict_csp(anna, world):
    urls = [
        "/",
        "/organizations/",
        f"/organizations/{world.org.pk}/",
        f"/organizations/{world.org.pk}/edit/",
        "/people/",
        f"/people/{world.person.pk}/",
        f"/organizations/{world.other_org.pk}/",  # 404 page
    ]
    responses = [anna.get(url) for url in urls] + [Client().get("/accounts/login/")]
    for response in responses:
        csp = response["Content-Security-Policy"]
        assert csp == CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        page = html(response)
        # Nothing the policy would block: no inline scripts, styles or handlers.
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page)
        assert "<style" not in page
        assert not re.search(r"\sstyle=", page)
        assert not re.search(r"\son[a-z]+=", page)


def test_the_api_gets_no_html_csp(anna):
    response = anna.get("/api/v1/organizations")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


# --- lists --------------------------------------------------------------------------------------


def test_list_shows_only_visible_records(world):
    anna = client_for(world.people["anna"])
    ben = client_for(world.people["ben"])
    assert names_in_table(anna.get("/organizations/")) == ["Nordlicht GmbH"]
    assert names_in_table(ben.get("/organizations/")) == ["Südwind AG"]
    admin = client_for(world.people["admin"])
    assert names_in_table(admin.get("/organizations/")) == ["Nordlicht GmbH", "Südwind AG"]


def test_list_sorts_filters_and_searches_from_the_url(world):
    anna = world.people["anna"]
    for name, status in (("Alpha", "prospect"), ("Zeta", "customer"), ("Mitte", "partner")):
        organization_create(actor=anna, data={"name": name, "status": status})
    client = client_for(anna)
    assert names_in_table(client.get("/organizations/")) == [
        "Alpha",
        "Mitte",
        "Nordlicht GmbH",
        "Zeta",
    ]
    descending = client.get("/organizations/?sort=-name")
    assert names_in_table(descending) == ["Zeta", "Nordlicht GmbH", "Mitte", "Alpha"]
    assert 'aria-sort="descending"' in html(descending)
    customers = client.get("/organizations/?status=customer&sort=name")
    assert names_in_table(customers) == ["Nordlicht GmbH", "Zeta"]
    assert '<option value="customer" selected>' in html(customers)
    assert names_in_table(client.get("/organizations/?q=mitt")) == ["Mitte"]
    assert names_in_table(client.get("/organizations/?tag=vip")) == ["Nordlicht GmbH"]
    # Empty fields of the filter form are no filters.
    assert len(names_in_table(client.get("/organizations/?q=&status=&tag="))) == 4


def test_list_refuses_unknown_or_bad_parameters(anna):
    unknown = anna.get("/organizations/?colour=red")
    assert unknown.status_code == 400
    assert "colour" in html(unknown)
    assert names_in_table(unknown) == []
    short = anna.get("/organizations/?q=n")
    assert short.status_code == 400
    assert "q:" in html(short)


def test_htmx_gets_the_table_and_the_next_rows_as_partials(world):
    anna = world.people["anna"]
    for i in range(4):
        organization_create(actor=anna, data={"name": f"Firma {i}"})
    client = client_for(anna)
    full = client.get("/organizations/?limit=2")
    assert "<html" in html(full)
    assert names_in_table(full) == ["Firma 0", "Firma 1"]
    assert "HX-Request" in full["Vary"]
    # Back after an htmx search restores the address without a cached page: it needs it all.
    restore = client.get("/organizations/?limit=2", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in html(restore)
    table = client.get("/organizations/?limit=2", **HTMX)
    assert "<html" not in html(table) and "<table" in html(table)
    assert names_in_table(table) == ["Firma 0", "Firma 1"]
    next_url = re.search(r'hx-get="([^"]+)"', html(table)).group(1).replace("&amp;", "&")
    rows = client.get("/organizations/" + next_url, **HTMX)
    assert "<table" not in html(rows) and "<tr" in html(rows)
    assert names_in_table(rows) == ["Firma 2", "Firma 3"]
    last = re.search(r'hx-get="([^"]+)"', html(rows)).group(1).replace("&amp;", "&")
    final = client.get("/organizations/" + last, **HTMX)
    assert names_in_table(final) == ["Nordlicht GmbH"]
    assert "hx-get" not in html(final)
    # Without JavaScript the same link shows the next page in full.
    assert names_in_table(client.get("/organizations/" + next_url)) == ["Firma 2", "Firma 3"]


def test_people_list(world):
    client = client_for(world.people["anna"])
    response = client.get("/people/")
    assert names_in_table(response) == ["Greta Hansen"]
    assert "CFO" in html(response)
    assert names_in_table(client_for(world.people["ben"]).get("/people/")) == []


# --- detail and timeline -------------------------------------------------------------------------


def test_organization_detail(anna, world):
    response = anna.get(f"/organizations/{world.org.pk}/")
    page = html(response)
    assert response.status_code == 200
    assert "<h1>Nordlicht GmbH" in page
    assert f'href="/people/{world.person.pk}/">Greta Hansen</a>' in page
    assert "vip" in page and "Kunde" in page  # tag and status (German by default)
    assert "Met at the fair" in page  # the note on the timeline
    assert page.count('class="entry entry-audit"') == 1  # the creation event
    assert f'href="/organizations/{world.org.pk}/edit/"' in page
    assert f'href="/organizations/{world.org.pk}/archive/"' in page


def test_person_detail(anna, world):
    page = html(anna.get(f"/people/{world.person.pk}/"))
    assert "<h1>Greta Hansen" in page
    assert f'href="/organizations/{world.org.pk}/">Nordlicht GmbH</a>' in page
    assert "Buyer" in page


def test_timeline_shows_changes_with_labels(anna, world):
    organization_update(
        actor=world.people["anna"], organization_id=world.org.pk, data={"status": "partner"}
    )
    page = html(anna.get(f"/organizations/{world.org.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "<li>Status: customer → partner</li>" in page
    page = html(anna.get(f"/organizations/{world.org.pk}/", HTTP_ACCEPT_LANGUAGE="de"))
    assert "<li>Status: Kunde → Partner</li>" in page


def test_timeline_pages_with_a_cursor(anna, world):
    from kundenwert.activities.services import activity_create

    for i in range(60):
        activity_create(
            actor=world.people["anna"],
            data={"type": "note", "subject": f"Note {i:02d}", "organization_ids": [world.org.pk]},
        )
    page = html(anna.get(f"/organizations/{world.org.pk}/"))
    assert page.count('class="entry ') == 50
    more = re.search(r'hx-get="(/organizations/\d+/timeline/\?cursor=[^"]+)"', page).group(1)
    rest = html(anna.get(more.replace("&amp;", "&"), **HTMX))
    assert rest.count('class="entry ') == 12  # 61 notes + 1 creation event - 50
    assert anna.get(more.replace("&amp;", "&")).status_code == 302  # no JS: back to the page
    assert (
        anna.get(f"/organizations/{world.org.pk}/timeline/?cursor=bad", **HTMX).status_code == 400
    )


def test_records_of_another_team_are_not_found(anna, world):
    other = world.other_org.pk
    before = (Activity.objects.count(), Organization.objects.get(pk=other).version)
    for url in (
        f"/organizations/{other}/",
        f"/organizations/{other}/edit/",
        f"/organizations/{other}/archive/",
        f"/organizations/{other}/timeline/",
        "/organizations/999999/",
    ):
        response = anna.get(url)
        assert response.status_code == 404, url
        assert "Südwind" not in html(response)
    for url, data in (
        (f"/organizations/{other}/edit/", {"name": "Hijacked", "status": "customer"}),
        (f"/organizations/{other}/archive/", {}),
        (f"/organizations/{other}/restore/", {}),
        (f"/organizations/{other}/activities/", {"type": "note", "subject": "Sneaky"}),
    ):
        assert anna.post(url, data).status_code == 404, url
    other_org = Organization.objects.get(pk=other)
    assert (Activity.objects.count(), other_org.version) == before
    assert (other_org.name, other_org.archived_at) == ("Südwind", None)
    page = html(anna.get(f"/organizations/{other}/"))
    assert "<h1>Nicht gefunden</h1>" in page or "<h1>Not found</h1>" in page


# --- read-only users and other people's records ---------------------------------------------------


@pytest.mark.parametrize("user", ["vera", "carl"])
def test_users_who_may_not_edit_see_no_edit_controls_and_get_403(world, user):
    client = client_for(world.people[user])
    page = html(client.get(f"/organizations/{world.org.pk}/"))
    assert "Nordlicht" in page  # both may read it
    assert "/edit/" not in page and "/archive/" not in page
    if user == "vera":
        assert 'class="activity-form' not in page
        assert "/organizations/new/" not in html(client.get("/organizations/"))
        assert client.get("/organizations/new/").status_code == 403
        assert (
            client.post("/organizations/new/", {"name": "X", "status": "prospect"}).status_code
            == 403
        )
    before = (
        Organization.objects.count(),
        Activity.objects.count(),
        Organization.objects.get(pk=world.org.pk).version,
    )
    org_url = f"/organizations/{world.org.pk}"
    assert client.get(f"{org_url}/edit/").status_code == 403
    edit = client.post(f"{org_url}/edit/", {"name": "Changed", "status": "partner"})
    assert edit.status_code == 403
    assert "Nothing was changed" in html(edit) or "Es wurde nichts geändert" in html(edit)
    assert client.get(f"{org_url}/archive/").status_code == 403
    assert client.post(f"{org_url}/archive/").status_code == 403
    assert client.post(f"{org_url}/restore/").status_code == 403
    if user == "vera":
        note = client.post(f"{org_url}/activities/", {"type": "note", "subject": "Hi"})
        assert note.status_code == 403
    org = Organization.objects.get(pk=world.org.pk)
    after = (Organization.objects.count(), Activity.objects.count(), org.version)
    assert after == before
    assert (org.name, org.status, org.archived_at) == ("Nordlicht", "customer", None)


# --- forms ---------------------------------------------------------------------------------------


def test_create_organization(anna, world):
    response = anna.post(
        "/organizations/new/",
        {
            "name": "Fjordblick",
            "legal_form": "GmbH",
            "vat_id": "DE 136 695 976",
            "status": "prospect",
            "emails": "Info@Fjordblick.de\n\n",
            "phones": "030 1234567",
            "tags": "messe, vip",
            "billing_city": "Kiel",
            "billing_country": "DE",
        },
    )
    org = Organization.objects.get(name="Fjordblick")
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/{org.pk}/"
    assert (org.owner, org.vat_id, org.emails, org.phones) == (
        world.people["anna"],
        "DE136695976",
        ["info@fjordblick.de"],
        ["+49301234567"],
    )
    assert sorted(t.name for t in org.tags.all()) == ["messe", "vip"]
    assert org.billing_address["city"] == "Kiel"
    detail = html(anna.get(response["Location"]))
    assert "flash-success" in detail and "Fjordblick" in detail


def test_service_errors_appear_next_to_their_fields(anna):
    count = Organization.objects.count()
    response = anna.post(
        "/organizations/new/",
        {
            "name": "Broken",
            "vat_id": "DE123",
            "status": "prospect",
            "emails": "not-an-email",
            "billing_country": "Atlantis",
        },
    )
    page = html(response)
    assert response.status_code == 422
    for field in ("vat_id", "emails", "billing_country"):
        assert f'id="id_{field}_errors"' in page, field
    assert 'value="Broken"' in page  # the input is kept
    assert Organization.objects.count() == count


def test_form_errors_of_the_form_itself(anna):
    response = anna.post("/organizations/new/", {"name": "", "status": "nonsense"})
    page = html(response)
    assert response.status_code == 422
    assert 'id="id_name_errors"' in page and 'id="id_status_errors"' in page


def test_edit_organization(anna, world):
    version = Organization.objects.get(pk=world.org.pk).version
    form = html(anna.get(f"/organizations/{world.org.pk}/edit/"))
    assert 'value="Nordlicht"' in form
    assert f'name="version" value="{version}"' in form
    response = anna.post(
        f"/organizations/{world.org.pk}/edit/",
        {"name": "Nordlicht Nord", "status": "customer", "tags": "vip", "version": version},
    )
    assert response.status_code == 302
    org = Organization.objects.get(pk=world.org.pk)
    assert (org.name, org.version) == ("Nordlicht Nord", version + 1)


def test_a_stale_edit_is_refused_and_shows_the_other_change(world):
    anna = world.people["anna"]
    client = client_for(anna)
    version = Organization.objects.get(pk=world.org.pk).version
    organization_update(actor=anna, organization_id=world.org.pk, data={"industry": "Shipping"})
    response = client.post(
        f"/organizations/{world.org.pk}/edit/",
        {"name": "Mine", "status": "customer", "tags": "vip", "version": str(version)},
    )
    page = html(response)
    assert response.status_code == 422
    assert 'class="warning"' in page and "Shipping" in page
    org = Organization.objects.get(pk=world.org.pk)
    assert (org.name, org.industry, org.version) == ("Nordlicht", "Shipping", version + 1)
    # The form now carries the current version: saving again is a deliberate overwrite.
    assert f'value="{version + 1}"' in page
    again = client.post(
        f"/organizations/{world.org.pk}/edit/",
        {"name": "Mine", "status": "customer", "tags": "vip", "version": str(version + 1)},
    )
    assert again.status_code == 302
    assert Organization.objects.get(pk=world.org.pk).name == "Mine"


def test_archive_needs_confirmation_and_can_be_restored(anna, world):
    url = f"/organizations/{world.org.pk}"
    confirm = anna.get(f"{url}/archive/")
    assert confirm.status_code == 200 and 'method="post"' in html(confirm)
    assert Organization.objects.get(pk=world.org.pk).archived_at is None
    response = anna.post(f"{url}/archive/")
    assert response.status_code == 302 and response["Location"] == "/organizations/"
    assert Organization.objects.get(pk=world.org.pk).archived_at is not None
    assert names_in_table(anna.get("/organizations/")) == []
    assert names_in_table(anna.get("/organizations/?archived=true")) == ["Nordlicht GmbH"]
    detail = html(anna.get(f"{url}/"))
    assert f'action="{url}/restore/"' in detail and f"{url}/edit/" not in detail
    assert anna.post(f"{url}/restore/").status_code == 302
    assert Organization.objects.get(pk=world.org.pk).archived_at is None


def test_create_and_edit_person(anna, world):
    response = anna.post(
        "/people/new/", {"first_name": "Ole", "last_name": "Jensen", "language": "de"}
    )
    person = Person.objects.get(last_name="Jensen")
    assert response["Location"] == f"/people/{person.pk}/"
    assert person.owner == world.people["anna"]
    bad = anna.post(f"/people/{person.pk}/edit/", {"last_name": "", "version": "1"})
    assert bad.status_code == 422 and 'id="id_last_name_errors"' in html(bad)
    ok = anna.post(
        f"/people/{person.pk}/edit/",
        {"first_name": "Ole", "last_name": "Jensen", "job_title": "CEO", "version": "1"},
    )
    assert ok.status_code == 302
    assert Person.objects.get(pk=person.pk).job_title == "CEO"


# --- inline activities ---------------------------------------------------------------------------


def test_add_a_note_with_htmx_swaps_the_panel(anna, world):
    url = f"/organizations/{world.org.pk}/activities/"
    response = anna.post(url, {"type": "note", "subject": "Called back", "body": "**ok**"}, **HTMX)
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page and "Called back" in page and "<strong>ok</strong>" in page
    assert 'value="Called back"' not in page  # a fresh form
    activity = Activity.objects.get(subject="Called back")
    assert list(activity.organizations.all()) == [world.org]
    assert activity.owner == world.people["anna"]


def test_add_a_task_without_javascript(anna, world):
    url = f"/people/{world.person.pk}/activities/"
    response = anna.post(
        url, {"type": "task", "subject": "Send offer", "due_at": "2030-05-01T09:30"}
    )
    assert response.status_code == 302 and response["Location"] == f"/people/{world.person.pk}/"
    task = Activity.objects.get(subject="Send offer")
    assert list(task.people.all()) == [world.person]
    assert task.assignee == world.people["anna"]
    assert "Send offer" in html(anna.get("/"))  # the dashboard lists my open tasks


def test_activity_errors_are_shown_in_the_panel(anna, world):
    url = f"/organizations/{world.org.pk}/activities/"
    count = Activity.objects.count()
    response = anna.post(url, {"type": "task", "subject": "No due date"}, **HTMX)
    assert response.status_code == 422
    assert 'id="id_due_at_errors"' in html(response)
    assert 'value="No due date"' in html(response)
    full = anna.post(url, {"type": "note", "subject": ""})
    assert full.status_code == 422
    assert "<html" in html(full) and 'id="id_subject_errors"' in html(full)
    assert Activity.objects.count() == count


# --- cost ---------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/organizations/", "/people/", "/organizations/{org}/"])
def test_pages_cost_the_same_queries_for_many_rows(world, url):
    from kundenwert.activities.services import activity_create
    from kundenwert.contacts.services import affiliation_create, person_create

    anna = world.people["anna"]
    client = client_for(anna)
    url = url.format(org=world.org.pk)
    _queries(client, url)  # warm up: first-request costs (e.g. cached permissions) aside
    few = _queries(client, url)
    for i in range(15):
        organization_create(actor=anna, data={"name": f"Firma {i}", "tags": [f"t{i}"]})
        person = person_create(actor=anna, data={"last_name": f"Person {i}", "tags": ["x"]})
        affiliation_create(actor=anna, person_id=person.pk, organization_id=world.org.pk)
        activity_create(
            actor=anna,
            data={"type": "note", "subject": f"Note {i}", "organization_ids": [world.org.pk]},
        )
    assert _queries(client, url) == few


# --- global search ------------------------------------------------------------------------------


def test_global_search(world):
    anna = client_for(world.people["anna"])
    page = html(anna.get("/search/?q=nord"))
    assert "<html" in page
    assert f'href="/organizations/{world.org.pk}/">Nordlicht GmbH</a>' in page
    assert "Südwind" not in html(anna.get("/search/?q=wind"))
    ben = client_for(world.people["ben"])
    assert "Südwind AG" in html(ben.get("/search/?q=wind"))
    partial = html(anna.get("/search/?q=hans", **HTMX))
    assert "<html" not in partial
    assert f'href="/people/{world.person.pk}/">Greta Hansen</a>' in partial
    assert 'class="muted"' in html(anna.get("/search/?q=n", **HTMX))  # too short: a hint
    assert html(anna.get("/search/?q=", **HTMX)) == ""  # cleared box: the popup empties


def test_forms_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["anna"])
    url = f"/organizations/{world.org.pk}/activities/"
    count = Activity.objects.count()
    assert client.post(url, {"type": "note", "subject": "Forged"}).status_code == 403
    assert Activity.objects.count() == count
    page = html(client.get(f"/organizations/{world.org.pk}/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert f'"X-CSRFToken": "{token}"' in page  # htmx sends it with every request
    ok = client.post(url, {"type": "note", "subject": "Real"}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert ok.status_code == 200
    assert Activity.objects.count() == count + 1


# --- tasks --------------------------------------------------------------------------------------


@pytest.fixture
def task(world) -> Activity:
    from kundenwert.activities.services import activity_create

    return activity_create(
        actor=world.people["anna"],
        data={
            "type": "task",
            "subject": "Send the offer",
            "due_at": dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC),
            "organization_ids": [world.org.pk],
        },
    )


def test_complete_a_task_in_place(world, task):
    anna = client_for(world.people["anna"])
    home = html(anna.get("/"))
    assert "Send the offer" in home and f'hx-post="/tasks/{task.pk}/complete/"' in home
    assert anna.get(f"/tasks/{task.pk}/complete/").status_code == 405
    response = anna.post(f"/tasks/{task.pk}/complete/", **HTMX)
    assert response.status_code == 200
    assert 'class="task task-done"' in html(response) and "<html" not in html(response)
    assert Activity.objects.get(pk=task.pk).is_done is True
    assert "Send the offer" not in html(anna.get("/"))  # no longer open


def test_complete_without_javascript_returns_to_a_local_page(world, task):
    anna = client_for(world.people["anna"])
    response = anna.post(f"/tasks/{task.pk}/complete/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Activity.objects.get(pk=task.pk).is_done is True


def test_others_cannot_complete_my_task(world, task):
    assert client_for(world.people["ben"]).post(f"/tasks/{task.pk}/complete/").status_code == 404
    assert client_for(world.people["vera"]).post(f"/tasks/{task.pk}/complete/").status_code == 403
    task.refresh_from_db()
    assert (task.is_done, task.version) == (False, 1)


# --- owner and team ------------------------------------------------------------------------------


def test_new_form_proposes_me_and_my_team(world):
    page = html(client_for(world.people["anna"]).get("/organizations/new/"))
    anna, nord = world.people["anna"], world.org.team
    assert f'<option value="{anna.pk}" selected>anna</option>' in page
    assert f'<option value="{nord.pk}" selected>Nord</option>' in page


def test_a_manager_reassigns_within_the_team(world):
    mia, carl = world.people["mia"], world.people["carl"]
    org = Organization.objects.get(pk=world.org.pk)
    response = client_for(mia).post(
        f"/organizations/{org.pk}/edit/",
        {
            "name": "Nordlicht",
            "status": "customer",
            "tags": "vip",
            "owner_id": carl.pk,
            "team_id": org.team_id,
            "version": org.version,
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.owner, org.version) == (carl, 2)


def test_handing_a_record_out_of_reach_is_refused_on_the_form(world):
    anna, ben = world.people["anna"], world.people["ben"]
    org = Organization.objects.get(pk=world.org.pk)
    response = client_for(anna).post(
        f"/organizations/{org.pk}/edit/",
        {"name": "Nordlicht", "status": "customer", "owner_id": ben.pk, "version": org.version},
    )
    assert response.status_code == 403
    assert 'class="error"' in html(response) and 'value="Nordlicht"' in html(response)
    org.refresh_from_db()
    assert (org.owner, org.version) == (anna, 1)
    assert AuditEvent.objects.filter(verb="permission_denied", actor=anna).count() == 1


def test_times_show_in_the_users_time_zone(world):
    anna = world.people["anna"]
    when = world.note.occurred_at
    client = client_for(anna)
    berlin = html(client.get(f"/organizations/{world.org.pk}/"))
    anna.time_zone = "America/New_York"
    anna.save(update_fields=["time_zone"])
    new_york = html(client.get(f"/organizations/{world.org.pk}/"))
    stamp = 'datetime="{}"'
    berlin_iso = when.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).isoformat()
    new_york_iso = when.astimezone(zoneinfo.ZoneInfo("America/New_York")).isoformat()
    assert stamp.format(berlin_iso) in berlin
    assert stamp.format(new_york_iso) in new_york
    anna.time_zone = "Mars/Olympus_Mons"  # unknown: the server's zone, no error
    anna.save(update_fields=["time_zone"])
    assert stamp.format(berlin_iso) in html(client.get(f"/organizations/{world.org.pk}/"))
