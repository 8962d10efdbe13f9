"""Every template of the web app renders: a tour of the pages plus the error handlers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client, RequestFactory

import kundenwert.web
from kundenwert.activities.services import activity_create
from kundenwert.sales.leads import lead_create
from kundenwert.sales.models import Stage
from kundenwert.sales.services import deal_create
from kundenwert.web import views
from tests.orders.factories import issued_invoice, make_order, make_shop
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db

TEMPLATES = Path(kundenwert.web.__file__).resolve().parent / "templates"
HTMX = {"HTTP_HX_REQUEST": "true"}


def all_templates() -> set[str]:
    return {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")}


def test_every_template_renders(world):
    task = activity_create(
        actor=world.people["anna"],
        data={
            "type": "task",
            "subject": "Call back",
            "due_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        },
    )
    anna = client_for(world.people["anna"])
    org, person = world.org.pk, world.person.pk
    lead = lead_create(actor=world.people["anna"], data={"name": "Ida Ask", "company": "Ask AG"})
    tour = [
        (Client(), "get", "/accounts/login/", {}, {}),
        (Client(), "get", "/accounts/password/reset/", {}, {}),
        (Client(), "get", "/accounts/password/reset/done/", {}, {}),
        (Client(), "get", "/accounts/password/reset/MQ/invalid-token/", {}, {}),
        (Client(), "get", "/accounts/password/reset/complete/", {}, {}),
        (anna, "get", "/", {}, {}),
        (anna, "get", "/accounts/password/", {}, {}),
        (anna, "get", "/accounts/settings/", {}, {}),
        (anna, "get", "/organizations/", {}, {}),
        (anna, "get", "/organizations/?limit=1", {}, HTMX),
        (anna, "get", "/organizations/?q=zz", {}, HTMX),
        (anna, "get", f"/organizations/{org}/", {}, {}),
        (anna, "get", f"/organizations/{org}/edit/", {}, {}),
        (anna, "get", f"/organizations/{org}/edit/", {}, HTMX),
        (anna, "get", f"/organizations/{org}/archive/", {}, {}),
        (anna, "post", f"/organizations/{org}/activities/", {"type": "note", "subject": "x"}, HTMX),
        (anna, "get", f"/people/{person}/", {}, {}),
        (anna, "get", "/people/new/", {}, {}),
        (anna, "get", "/search/?q=nord", {}, {}),
        (anna, "get", "/tasks/", {}, {}),
        (anna, "get", f"/organizations/{world.other_org.pk}/", {}, {}),
        (client_for(world.people["vera"]), "get", f"/organizations/{org}/edit/", {}, {}),
        (anna, "get", "/deals/board/", {}, {}),
        (Client(), "get", "/inquiry/", {}, {}),
        (Client(), "get", "/inquiry/thanks/", {}, {}),
        (anna, "get", f"/leads/{lead.pk}/convert/", {}, {}),
        (anna, "get", f"/leads/{lead.pk}/", {}, {}),
    ]
    rendered: set[str] = set()
    for client, method, url, data, headers in tour:
        response = getattr(client, method)(url, data, **headers)
        assert response.status_code in {200, 403, 404}, url
        rendered |= {t.name for t in response.templates if t.name}
    # Rescheduling with an invalid date, without JavaScript: the form on a page of its own.
    response = anna.post(f"/tasks/{task.pk}/reschedule/", {"due_at": "x"})
    assert response.status_code == 422
    rendered |= {t.name for t in response.templates if t.name}
    # A deal moved on the board: htmx gets the board alone.
    deal = deal_create(actor=world.people["anna"], data={"title": "Fleet", "organization_id": org})
    stage = Stage.objects.filter(pipeline=deal.pipeline).exclude(pk=deal.stage_id).first()
    response = anna.post(f"/deals/{deal.pk}/move/", {"stage_id": stage.pk}, **HTMX)
    assert response.status_code == 200
    rendered |= {t.name for t in response.templates if t.name}
    # An organisation with revenue: its page shows the revenue panel.
    shop = make_shop(world.people)
    issued_invoice(world.people["mia"], make_order(world.people["anna"], shop.org))
    response = anna.get(f"/organizations/{shop.org.pk}/")
    assert response.status_code == 200
    rendered |= {t.name for t in response.templates if t.name}
    # The error handlers Django calls itself.
    request = RequestFactory().get("/")
    request.user = world.people["anna"]
    bad = views.bad_request(request)
    assert bad.status_code == 400 and b"<h1>" in bad.content
    broken = views.server_error(request)
    assert broken.status_code == 500 and b"<h1>" in broken.content
    rendered |= {"web/errors/400.html", "web/errors/500.html"}
    assert all_templates() - rendered == set()
    assert len(all_templates()) >= 18  # the glob found the templates
