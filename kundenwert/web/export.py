"""CSV export of a list: the same filters, sort and search as the page, every page of it.

Rows come through the entity's selector page by page (keyset cursors), so only the records
the viewer may see are written, and memory stays flat however long the list is.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kundenwert.activities.models import Activity
from kundenwert.activities.selectors import activity_list
from kundenwert.catalog.models import tax_rate_display_name, unit_label
from kundenwert.catalog.selectors import product_list
from kundenwert.contacts import selectors
from kundenwert.contacts.models import Organization
from kundenwert.core.errors import ValidationError
from kundenwert.core.money import Money
from kundenwert.core.pagination import Page
from kundenwert.sales.leads import lead_list
from kundenwert.sales.models import shown_name
from kundenwert.sales.selectors import deal_list

from .entities import (
    CHANNELS,
    DEAL_VALUES,
    LEAD_STATUS,
    LEAD_VALUES,
    OWNER_VALUES,
    PERIOD_LABELS,
    PRODUCT_VALUES,
    _assignee_name,
    _customer,
    _deal_status,
    _user_name,
)
from .generic import EntityView

MAX_ROWS = 100_000
PAGE_SIZE = "200"
# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it


def neutralise(value: Any) -> str:
    """Return the cell as text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if text and (text.startswith(FORMULA_STARTS) or ord(text[0]) < 32 or text[0] == "\x7f"):
        return "'" + text
    return text


def _join(values: Any) -> str:
    return ", ".join(str(v) for v in values or [])


def _when(value: Any) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@dataclass(frozen=True)
class ExportColumn:
    label: str | Promise
    value: Callable[[dict], Any]


@dataclass(frozen=True)
class Export:
    """What one entity's CSV holds: the selector's columns and how each becomes a cell."""

    rows: Callable[..., Page]  # (viewer=, params=, values=) → Page of dicts
    values: tuple[str, ...]
    columns: tuple[ExportColumn, ...]


L = gettext_lazy
STATUS_LABELS = dict(Organization.Status.choices)
TYPE_LABELS = dict(Activity.Type.choices)

EXPORTS: dict[str, Export] = {
    "organization": Export(
        rows=selectors.organization_list,
        values=(
            "id",
            "name",
            "legal_form",
            "status",
            "vat_id",
            "industry",
            "website",
            "domain",
            "emails",
            "phones",
            "created_at",
            "updated_at",
            *OWNER_VALUES,
        ),
        columns=(
            ExportColumn(L("ID"), lambda r: r["id"]),
            ExportColumn(L("Name"), lambda r: r["name"]),
            ExportColumn(L("Legal form"), lambda r: r["legal_form"]),
            ExportColumn(L("Status"), lambda r: STATUS_LABELS.get(r["status"], r["status"])),
            ExportColumn(L("VAT ID"), lambda r: r["vat_id"]),
            ExportColumn(L("Industry"), lambda r: r["industry"]),
            ExportColumn(L("Website"), lambda r: r["website"]),
            ExportColumn(L("Email addresses"), lambda r: _join(r["emails"])),
            ExportColumn(L("Phone numbers"), lambda r: _join(r["phones"])),
            ExportColumn(L("Tags"), lambda r: _join(r["tags"])),
            ExportColumn(L("Owner"), _user_name),
            ExportColumn(L("Created"), lambda r: _when(r["created_at"])),
            ExportColumn(L("Last changed"), lambda r: _when(r["updated_at"])),
        ),
    ),
    "person": Export(
        rows=selectors.person_list,
        values=(
            "id",
            "title",
            "first_name",
            "last_name",
            "job_title",
            "emails",
            "phones",
            "language",
            "created_at",
            "updated_at",
            *OWNER_VALUES,
        ),
        columns=(
            ExportColumn(L("ID"), lambda r: r["id"]),
            ExportColumn(L("Title"), lambda r: r["title"]),
            ExportColumn(L("First name"), lambda r: r["first_name"]),
            ExportColumn(L("Last name"), lambda r: r["last_name"]),
            ExportColumn(L("Job title"), lambda r: r["job_title"]),
            ExportColumn(L("Email addresses"), lambda r: _join(r["emails"])),
            ExportColumn(L("Phone numbers"), lambda r: _join(r["phones"])),
            ExportColumn(L("Preferred language"), lambda r: r["language"]),
            ExportColumn(L("Tags"), lambda r: _join(r["tags"])),
            ExportColumn(L("Owner"), _user_name),
            ExportColumn(L("Created"), lambda r: _when(r["created_at"])),
            ExportColumn(L("Last changed"), lambda r: _when(r["updated_at"])),
        ),
    ),
    "activity": Export(
        rows=activity_list,
        values=(
            "id",
            "type",
            "subject",
            "body",
            "starts_at",
            "due_at",
            "occurred_at",
            "duration_minutes",
            "outcome",
            "is_done",
            "done_at",
            "created_at",
            "updated_at",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
            *OWNER_VALUES,
        ),
        columns=(
            ExportColumn(L("ID"), lambda r: r["id"]),
            ExportColumn(L("Type"), lambda r: TYPE_LABELS.get(r["type"], r["type"])),
            ExportColumn(L("Subject"), lambda r: r["subject"]),
            ExportColumn(L("Text (Markdown)"), lambda r: r["body"]),
            ExportColumn(L("Start"), lambda r: _when(r["starts_at"])),
            ExportColumn(L("Due"), lambda r: _when(r["due_at"])),
            ExportColumn(L("When"), lambda r: _when(r["occurred_at"])),
            ExportColumn(L("Duration (minutes)"), lambda r: r["duration_minutes"]),
            ExportColumn(L("Outcome"), lambda r: r["outcome"]),
            ExportColumn(L("Done"), lambda r: _when(r["done_at"]) if r["is_done"] else ""),
            ExportColumn(L("Assigned to"), _assignee_name),
            ExportColumn(L("Owner"), _user_name),
            ExportColumn(L("Created"), lambda r: _when(r["created_at"])),
            ExportColumn(L("Last changed"), lambda r: _when(r["updated_at"])),
        ),
    ),
    # Amounts as plain decimals with their currency: a spreadsheet computes with them.
    "deal": Export(
        rows=deal_list,
        values=(*DEAL_VALUES, "source_channel", "source_campaign", "referrer", "lost_reason"),
        columns=(
            ExportColumn(L("ID"), lambda r: r["id"]),
            ExportColumn(L("Title"), lambda r: r["title"]),
            ExportColumn(L("Customer"), _customer),
            ExportColumn(L("Stage"), lambda r: shown_name(r["stage__name"])),
            ExportColumn(L("Status"), _deal_status),
            ExportColumn(
                L("Amount"), lambda r: Money(r["amount"], r["currency"]).quantize().amount
            ),
            ExportColumn(L("Currency"), lambda r: r["currency"]),
            ExportColumn(L("Probability"), lambda r: r["probability"]),
            ExportColumn(L("Expected close"), lambda r: r["expected_close_date"] or ""),
            ExportColumn(L("Source channel"), lambda r: r["source_channel"]),
            ExportColumn(L("Campaign"), lambda r: r["source_campaign"]),
            ExportColumn(L("Referred by"), lambda r: r["referrer"]),
            ExportColumn(L("Lost reason"), lambda r: r["lost_reason"]),
            ExportColumn(L("Owner"), _user_name),
            ExportColumn(L("Created"), lambda r: _when(r["created_at"])),
            ExportColumn(L("Last changed"), lambda r: _when(r["updated_at"])),
        ),
    ),
    "product": Export(
        rows=product_list,
        values=PRODUCT_VALUES,
        columns=(
            ExportColumn(L("ID"), lambda r: r["id"]),
            ExportColumn(L("SKU"), lambda r: r["sku"]),
            ExportColumn(L("Name"), lambda r: r["name"]),
            ExportColumn(L("Unit"), lambda r: unit_label(r["unit"])),
            ExportColumn(
                L("Tax rate"),
                lambda r: tax_rate_display_name(r["tax_rate__name"], r["tax_rate__preset"]),
            ),
            ExportColumn(L("Billing period"), lambda r: PERIOD_LABELS.get(r["billing_period"], "")),
            ExportColumn(L("Cost price"), lambda r: r["cost_price"]),
            ExportColumn(L("Currency"), lambda r: r["cost_currency"]),
            ExportColumn(L("Last changed"), lambda r: _when(r["updated_at"])),
        ),
    ),
    "lead": Export(
        rows=lead_list,
        values=(*LEAD_VALUES, "message"),
        columns=(
            ExportColumn(L("ID"), lambda r: r["id"]),
            ExportColumn(L("Name"), lambda r: r["name"]),
            ExportColumn(L("Company"), lambda r: r["company"]),
            ExportColumn(L("Email address"), lambda r: r["email"]),
            ExportColumn(L("Phone number"), lambda r: r["phone"]),
            ExportColumn(L("Status"), lambda r: LEAD_STATUS.get(r["status"], r["status"])),
            ExportColumn(L("Source channel"), lambda r: CHANNELS.get(r["source_channel"], "")),
            ExportColumn(L("Campaign"), lambda r: r["source_campaign"]),
            ExportColumn(L("Message"), lambda r: r["message"]),
            ExportColumn(L("Owner"), _user_name),
            ExportColumn(L("Received"), lambda r: _when(r["created_at"])),
        ),
    ),
}


class _Line:
    """A file-like sink for csv.writer that hands back the last line written."""

    def write(self, text: str) -> str:
        return text


class ExportView(EntityView):
    """Answer the list as a CSV download, streamed page by page."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        export = EXPORTS[self.entity.name]
        # The list's own parameters; the cursor and page size are the export's business.
        params = {
            k: v for k, v in request.GET.items() if v.strip() and k not in {"cursor", "limit"}
        }
        params["limit"] = PAGE_SIZE
        try:
            first = export.rows(viewer=request.user, params=params, values=export.values)
        except ValidationError as exc:
            return HttpResponse(
                " ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
            )
        response = StreamingHttpResponse(
            # The body is written after the view returned, when the middleware may have reset
            # the user's language and time zone: the generator keeps them.
            self.lines(
                export, params, first, translation.get_language(), timezone.get_current_timezone()
            ),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        response["Content-Disposition"] = f'attachment; filename="{self.entity.path}-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response

    def lines(
        self, export: Export, params: dict[str, str], page: Page, language: str, zone
    ) -> Iterator[str]:
        """Yield the BOM, the header and the rows, one page per chunk, fetching pages lazily."""
        writer = csv.writer(_Line())
        with translation.override(language), timezone.override(zone):
            header = BOM + writer.writerow([neutralise(str(c.label)) for c in export.columns])
        yield header
        written = 0
        while True:
            with translation.override(language), timezone.override(zone):
                chunk, written, cut = self.chunk(writer, export, page, written)
            yield chunk
            if cut or not page.next_cursor:
                return
            page = export.rows(
                viewer=self.request.user,
                params={**params, "cursor": page.next_cursor},
                values=export.values,
            )

    @staticmethod
    def chunk(writer, export: Export, page: Page, written: int) -> tuple[str, int, bool]:
        """Return the page's lines, the new row count, and whether the cap cut the export."""
        lines = []
        for row in page.rows:
            if written >= MAX_ROWS:
                note = _("Export stopped after %(count)d rows; narrow the filters.")
                lines.append(writer.writerow([note % {"count": MAX_ROWS}]))
                return "".join(lines), written, True
            lines.append(writer.writerow([neutralise(c.value(row)) for c in export.columns]))
            written += 1
        return "".join(lines), written, False
