import pytest
from kundenwert.org.models import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

def test_one(live_server, people):
    assert Role.objects.count() == 6

def test_two(live_server, people):
    assert Role.objects.count() == 6

def test_three():
    assert Role.objects.count() == 6
