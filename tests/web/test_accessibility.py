"""Accessibility: axe-core finds no serious or critical violations on the main pages.

axe-core is vendored for the tests only (tests/web/vendor/, MPL-2.0). The pages' CSP allows no
inline scripts, so axe is added as an init script: Playwright evaluates it through the DevTools
protocol, which script-src does not govern, and the application never serves it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kundenwert.activities.services import activity_create

# The browser fixtures of the journeys; importing them makes them available here.
from .test_journeys import browser, page, sign_in  # noqa: F401

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser fixture skips (or fails in CI)
    expect = None

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def violations(tab) -> list[str]:
    """Run axe on the tab's page and describe its serious and critical findings.

    Findings axe could not decide ("incomplete", e.g. a broken aria-describedby reference)
    count too: on these pages every one of them was a real fault.
    """
    result = tab.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})"
    )
    found = []
    for violation in result["violations"] + result["incomplete"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


@pytest.fixture
def axe_page(page):  # noqa: F811 - the fixture imported above
    """A browser tab where every document gets axe-core before its own scripts run."""
    page.context.add_init_script(path=str(AXE))
    return page


def test_axe_runs_under_the_content_security_policy(axe_page, world):
    axe_page.goto("/accounts/login/")
    assert axe_page.evaluate("typeof axe.run") == "function"
    assert axe_page.evaluate("axe.version") == "4.14.1"
    # The check is not vacuous: a button without a name is a critical violation.
    axe_page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert [v.split(" ")[0] for v in violations(axe_page)] == ["button-name"]


def test_the_sign_in_page_has_no_serious_violations(axe_page, world):
    axe_page.goto("/accounts/login/")
    expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
    assert violations(axe_page) == []


def test_the_main_pages_have_no_serious_violations(axe_page, world):
    activity_create(
        actor=world.people["anna"],
        data={
            "type": "task",
            "subject": "Angebot schicken",
            "due_at": dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC),
            "organization_ids": [world.org.pk],
        },
    )
    sign_in(axe_page)
    pages = {
        "dashboard": "/",
        "organisation list": "/organizations/",
        "organisation detail": f"/organizations/{world.org.pk}/",
        "person list": "/people/",
        "person detail": f"/people/{world.person.pk}/",
        "form": "/organizations/new/",
        "edit form": f"/organizations/{world.org.pk}/edit/",
        "tasks": "/tasks/",
        "password change": "/accounts/password/",
        "activity list": "/activities/",
        "activity detail": f"/activities/{world.note.pk}/",
        "activity form": "/activities/new/",
        "empty list": "/organizations/?q=zzzzzz",
    }
    found = {}
    for name, url in pages.items():
        axe_page.goto(url)
        expect(axe_page.get_by_role("heading", level=1)).to_be_visible()
        if problems := violations(axe_page):
            found[name] = problems
    assert found == {}


def test_error_states_have_no_serious_violations(axe_page, world):
    task = activity_create(
        actor=world.people["anna"],
        data={
            "type": "task",
            "subject": "Angebot schicken",
            "due_at": dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.UTC),
        },
    )
    sign_in(axe_page)
    # A form with field errors (submitted empty), then a rescheduling error in place.
    axe_page.goto("/organizations/new/")
    axe_page.locator("main form button[type=submit]").last.click()
    expect(axe_page.locator(".errorlist").first).to_be_visible()
    assert violations(axe_page) == []
    axe_page.goto("/tasks/")
    row = axe_page.locator(f"#task-{task.pk}")
    row.get_by_label("Neues Fälligkeitsdatum für „Angebot schicken“").fill("")
    row.get_by_role("button", name="Verschieben").click()
    expect(axe_page.locator(f"#due-{task.pk}-error")).to_be_visible()
    assert violations(axe_page) == []
