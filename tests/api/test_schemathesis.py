"""Fuzz every operation of the OpenAPI schema over real HTTP: no 5xx, no schema violations.

Each operation runs a fixed number of derandomized examples drawn from three sources: data that
fits the schema, data that does not (negative mode: the API must refuse it with a documented 4xx),
and fitting data aimed at the seeded record with id 1. All authenticated as an administrator,
against seeded records (ids 1..3).
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from django.core.management.color import no_style
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kundenwert.activities.services import activity_create
from kundenwert.api.urls import api as ninja_api
from kundenwert.catalog.models import TaxRate
from kundenwert.contacts.services import affiliation_create, organization_create, person_create
from kundenwert.sales.models import Pipeline, Stage
from tests.conftest import issue_token

from .conftest import api_routes, settle

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, reset_sequences=True)

EXAMPLES = 25
SCHEMA = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())
OPERATIONS = sorted(
    (result.ok() for result in SCHEMA.get_all_operations()), key=lambda op: op.label
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip


def _seed(people) -> None:
    """Three of everything, so that generated ids 1..3 hit real rows."""
    # reset_sequences restarted the id counters, then the serialized rollback restored the
    # rows the data migrations made (the default pipeline, the tax rates) with their ids:
    # move the counters past them before anything is inserted.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Pipeline, Stage, TaxRate]):
            cursor.execute(sql)
    admin = people["admin"]
    for n in range(1, 4):
        org = organization_create(actor=admin, data={"name": f"Seed {n} GmbH", "tags": ["seed"]})
        person = person_create(
            actor=admin, data={"last_name": f"Seed {n}", "emails": [f"s{n}@x.de"]}
        )
        affiliation_create(actor=admin, person_id=person.pk, organization_id=org.pk, role="CEO")
        activity_create(
            actor=admin,
            data={"type": "note", "subject": f"Seed {n}", "organization_ids": [org.pk],
                  "person_ids": [person.pk]},
        )  # fmt: skip


def test_operations_are_all_fuzzed():
    assert len(OPERATIONS) == len(api_routes()) > 36


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_operation_conforms(operation, live_server, people):
    _seed(people)
    headers = {"Authorization": f"Bearer {issue_token(people['admin'])}"}
    fixed_ids = {p.name: 1 for p in operation.path_parameters}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                  operation.as_strategy(GenerationMode.NEGATIVE)]  # fmt: skip
    if fixed_ids:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed_ids))

    @settings(
        max_examples=EXAMPLES * 2,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case):
        response = case.call(base_url=live_server.url, session=session, headers=headers, timeout=30)
        checks = (
            CHECKS
            if case.meta is None or case.meta.generation.mode.is_positive
            else [*CHECKS, negative_data_rejection]
        )
        case.validate_response(response, checks=checks, headers=headers)

    session = requests.Session()
    try:
        run()
    finally:
        settle(session, live_server.url)
