from kundenwert.contacts.services import organization_create


def test_sales_user_creates_organization_in_own_team(people):
    org = organization_create(actor=people["anna"], data={"name": "Müller GmbH", "vat_id": "DE136695976"})
    assert org.owner == people["anna"]
    assert org.team.name == "Nord"
    assert org.vat_id == "DE136695976"


def test_api_lists_over_http(api, people):
    from tests.conftest import issue_token

    token = issue_token(people["anna"])
    organization_create(actor=people["anna"], data={"name": "Alpha AG"})
    response = api.get("/organizations", token=token)
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["items"]] == ["Alpha AG"]
    assert api.get("/organizations").status_code == 401
