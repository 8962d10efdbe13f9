"""Build pipelines and deals through the services, and snapshot the sales tables for tests."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from decimal import Decimal

from django.apps import apps as django_apps

from kundenwert.sales.models import Deal, DealStageChange, Pipeline, Stage
from kundenwert.sales.services import deal_create
from tests.core.state import nothing_changed


def default_pipeline() -> Pipeline:
    """Return the default pipeline, re-creating it if a transactional test's flush removed it."""
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        migration = importlib.import_module("kundenwert.sales.migrations.0003_default_pipeline")
        migration.create_default_pipeline(django_apps, None)
        pipeline = Pipeline.objects.get(is_default=True)
    return pipeline


def stages(pipeline: Pipeline | None = None) -> dict[str, Stage]:
    """Return the active stages of a pipeline (default: the default one) by stored name."""
    pipeline = pipeline or default_pipeline()
    return {s.name: s for s in pipeline.stages.filter(archived_at__isnull=True)}


def deal(owner, title: str, *, organization=None, person=None, **data) -> Deal:
    """Create a deal owned by `owner` (acting as themselves) in the default pipeline."""
    default_pipeline()
    if organization is not None:
        data["organization_id"] = organization.pk
    if person is not None:
        data["person_id"] = person.pk
    if "amount" in data and not isinstance(data["amount"], Decimal):
        data["amount"] = Decimal(data["amount"])
    return deal_create(actor=owner, data={"title": title, **data})


SALES_TABLES = (Pipeline, Stage, Deal, DealStageChange)


def sales_rows() -> dict[str, list[dict]]:
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in SALES_TABLES}


@contextlib.contextmanager
def sales_unchanged(*, denied: int = 0) -> Iterator[None]:
    """Assert no sales or contact row changed inside the block and `denied` denial events exist.

    Nest `pytest.raises` inside, so the check runs after the exception was caught.
    """
    before = sales_rows()
    with nothing_changed(denied=denied):
        yield
    after = sales_rows()
    for label, rows in before.items():
        assert after[label] == rows, f"{label} changed"
