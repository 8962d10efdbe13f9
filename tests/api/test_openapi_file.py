"""The checked-in OpenAPI schema is the one the code serves: CI diffs them."""

from __future__ import annotations

import json
from pathlib import Path

from kundenwert.api.urls import api

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
HINT = "Run `kundenwert openapi --output docs/openapi.json` and commit the result."


def test_checked_in_openapi_schema_is_current():
    expected = (
        json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE} is missing. {HINT}"
    current = SCHEMA_FILE.read_text(encoding="utf-8")
    assert current == expected, f"{SCHEMA_FILE} is out of date with the API. {HINT}"
