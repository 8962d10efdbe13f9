"""Lead list, detail and edit pages through the generic mechanism, with the intake pool's rule."""

from __future__ import annotations

import pytest

from kundenwert.audit.models import AuditEvent
from kundenwert.sales.models import Lead
from tests.sales.lead_factories import lead, public_lead

from .conftest import client_for

pytestmark = pytest.mark.django_db

EN = {"accept-language": "en"}


def html(response) -> str:
    return response.content.decode()


def test_list_detail_and_convert_link(world):
    anna = world.people["anna"]
    mine = lead(anna, "Ida Ask", company="Ask AG", email="ida@ask.example")
    theirs = lead(world.people["ben"], "Otto Süd")
    client = client_for(anna)
    page = html(client.get("/leads/", headers=EN))
    assert f'href="/leads/{mine.pk}/"' in page and "Otto Süd" not in page
    assert 'href="/leads/" aria-current="page"' in page
    detail = html(client.get(f"/leads/{mine.pk}/", headers=EN))
    assert "ida@ask.example" in detail
    assert f'href="/leads/{mine.pk}/convert/"' in detail
    assert client.get(f"/leads/{theirs.pk}/").status_code == 404


def test_a_pooled_lead_is_editable_by_the_intake_team(world, settings):
    """The generic edit check follows lead_may: sales may take a lead from the pool."""
    settings.LEAD_INTAKE_TEAM = "Nord"
    pooled = public_lead("Petra Paulsen", "petra@example.org")
    anna = world.people["anna"]
    client = client_for(anna)
    detail = html(client.get(f"/leads/{pooled.pk}/", headers=EN))
    assert f'href="/leads/{pooled.pk}/edit/"' in detail
    assert "nobody yet (intake)" in detail
    response = client.post(
        f"/leads/{pooled.pk}/edit/",
        {
            "name": "Petra Paulsen",
            "email": "petra@example.org",
            "owner_id": str(anna.pk),
            "version": str(pooled.version),
        },
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=pooled.pk).owner == anna
    # Ben (team Süd) does not see the Nord pool at all.
    assert client_for(world.people["ben"]).get(f"/leads/{pooled.pk}/").status_code == 404


def test_a_read_only_user_cannot_change_a_lead(world):
    target = lead(world.people["anna"], "Ida Ask")
    vera = client_for(world.people["vera"])
    before = AuditEvent.objects.exclude(verb="permission_denied").count()
    assert vera.get(f"/leads/{target.pk}/edit/").status_code == 403
    assert vera.post(f"/leads/{target.pk}/edit/", {"name": "X"}).status_code == 403
    assert Lead.objects.get(pk=target.pk).name == "Ida Ask"
    assert AuditEvent.objects.exclude(verb="permission_denied").count() == before
