"""Fixtures of the catalogue tests: the preset tax rates are there, as migrations left them."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.catalog.api_world import outsider as make_outsider
from tests.catalog.factories import ensure_presets


@pytest.fixture(autouse=True)
def tax_rate_presets(db):
    ensure_presets()


@pytest.fixture(autouse=True)
def english():
    """Compare messages in English: the German catalogue may translate them any day."""
    with translation.override("en"):
        yield


@pytest.fixture
def outsider(people):
    """olga: her only role reads organisations, so she has no level on the catalogue."""
    return make_outsider()
