"""End-to-end journeys in a real browser: Playwright driving Debian's Chromium on a live server.

Each journey saves a screenshot under artifacts/ (kept by CI). Without Chromium or Playwright the
journeys skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from kundenwert.activities.models import Activity
from kundenwert.activities.services import activity_create
from kundenwert.contacts.models import Organization
from kundenwert.contacts.services import organization_create
from tests.conftest import IN_CI

CHROMIUM = os.environ.get("KUNDENWERT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

# The live server needs committed data, and its flush removes the roles migration org/0002 made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _missing() -> str | None:
    if sync_playwright is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture
def browser(transactional_db):
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Connections opened while Playwright's loop ran live in its context: close them there.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def settle() -> None:
    """Wait until the live server's request threads have closed their database sessions.

    They close when the browser closes its keep-alive sockets; PostgreSQL refuses to drop the
    test database while one lingers.
    """
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture
def page(browser, live_server):
    """A fresh German-speaking browser tab; fails the test on any CSP violation or JS error."""
    context = browser.new_context(locale="de-DE", base_url=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.set_default_timeout(15_000)
    yield page
    context.close()
    settle()
    # Expected 404 and 422 answers are logged as "Failed to load resource"; nothing else may be.
    real = [p for p in problems if not re.search(r"status of (404|422) ", p)]
    assert real == [], real


def sign_in(page, username: str = "anna", password: str = "demo") -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_sign_in_search_open_and_add_a_note(page, world):
    organization_create(actor=world.people["anna"], data={"name": "Alpenglühen"})
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    sign_in(page)
    page.get_by_role("navigation").get_by_role("link", name="Organisationen").click()
    page.wait_for_load_state()  # htmx binds its triggers once the page has loaded
    rows = page.locator("#rows tr")
    expect(rows).to_have_count(2)
    page.get_by_role("searchbox", name="Suchen", exact=True).fill("nordl")
    expect(rows).to_have_count(1)  # htmx swapped the table in place
    expect(page).to_have_url(re.compile(r"/organizations/\?q=nordl$"))
    page.go_back()  # the unfiltered list comes back whole
    expect(rows).to_have_count(2)
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisationen")
    page.go_forward()
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Nordlicht GmbH").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nordlicht GmbH")
    # A marker on the window survives only if the note is added without a page load.
    page.evaluate("window.kundenwertMarker = 42")
    page.get_by_label("Betreff").fill("Rückruf wegen Angebot")
    page.get_by_label("Text (Markdown)").fill("Will **zwei** Lizenzen.")
    page.get_by_role("button", name="Zum Verlauf hinzufügen").click()
    first = page.locator("#timeline li").first
    expect(first).to_contain_text("Rückruf wegen Angebot")
    expect(first.locator("strong")).to_have_text("zwei")
    expect(page.get_by_label("Betreff")).to_have_value("")
    assert page.evaluate("window.kundenwertMarker") == 42
    assert Activity.objects.filter(
        subject="Rückruf wegen Angebot", organizations=world.org
    ).exists()
    shot(page, "note-added")


def test_global_search_shows_instant_results(page, world):
    sign_in(page)
    page.get_by_role("searchbox", name="Organisationen und Personen suchen").fill("hans")
    popup = page.locator("#global-results")
    expect(popup.get_by_role("link")).to_have_count(1)
    expect(popup).to_contain_text("Greta Hansen")
    shot(page, "global-search")
    popup.get_by_role("link", name="Greta Hansen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Greta Hansen")
    expect(page.get_by_role("link", name="Nordlicht GmbH")).to_be_visible()


def test_show_more_appends_the_next_rows(page, world):
    organization_create(actor=world.people["anna"], data={"name": "Alpenglühen"})
    sign_in(page)
    page.goto("/organizations/?limit=1")
    rows = page.locator("#rows tr:not(.more-row)")
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Mehr anzeigen").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Nordlicht GmbH")
    expect(page.get_by_role("link", name="Mehr anzeigen")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/organizations/\?limit=1$"))


def test_complete_a_task(page, world):
    activity_create(
        actor=world.people["anna"],
        data={
            "type": "task",
            "subject": "Angebot schicken",
            "due_at": dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC),
            "organization_ids": [world.org.pk],
        },
    )
    sign_in(page)
    task = page.locator("#tasks li", has_text="Angebot schicken")
    expect(task).to_be_visible()
    page.evaluate("window.kundenwertMarker = 7")
    task.get_by_role("button", name="Erledigt").click()
    expect(page.locator("#tasks li.task-done")).to_contain_text("Angebot schicken")
    assert page.evaluate("window.kundenwertMarker") == 7  # no page load
    assert Activity.objects.get(subject="Angebot schicken").is_done is True
    shot(page, "task-done")


def test_an_invalid_vat_id_shows_the_field_error(page, world):
    sign_in(page)
    page.goto(f"/organizations/{world.org.pk}/edit/")
    page.get_by_label("USt-IdNr.").fill("DE123")
    page.get_by_role("button", name="Speichern").click()
    error = page.locator("#id_vat_id_errors")
    expect(error).to_be_visible()
    expect(error).to_contain_text("DE123")
    expect(page.get_by_label("Name")).to_have_value("Nordlicht")
    assert Organization.objects.get(pk=world.org.pk).vat_id == ""
    shot(page, "vat-error")


def test_a_record_of_another_team_is_not_found(page, world):
    sign_in(page)
    response = page.goto(f"/organizations/{world.other_org.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Nicht gefunden")
    expect(page.locator("body")).not_to_contain_text("Südwind")
    shot(page, "not-found")


def test_switch_to_english(page, world):
    sign_in(page)
    page.get_by_role("navigation").get_by_role("link", name="Organisationen").click()
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(page).to_have_url(re.compile(r"/organizations/$"))
    page.get_by_role("navigation").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text("My open tasks")
    shot(page, "english")


def test_usable_at_phone_width(browser, live_server, world):
    context = browser.new_context(
        locale="de-DE", base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    sign_in(page)
    page.goto(f"/organizations/{world.org.pk}/")
    # Nothing may push the page sideways: the widest element fits the viewport.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    expect(page.get_by_role("button", name="Zum Verlauf hinzufügen")).to_be_visible()
    shot(page, "phone-detail")
    page.goto("/organizations/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone-list")
    context.close()
    settle()
