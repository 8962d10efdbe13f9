"""Fixtures of the orders tests: messages compared in English, and a small shop."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.orders.factories import make_shop


@pytest.fixture(autouse=True)
def english():
    """Compare messages in English: the German catalogue may translate them any day."""
    with translation.override("en"):
        yield


@pytest.fixture
def shop(people):
    return make_shop(people)
