"""The entities the generic views serve: which selectors, services, columns and forms."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from kundenwert.activities import selectors as activity_selectors
from kundenwert.activities import services as activity_services
from kundenwert.activities.models import Activity
from kundenwert.activities.selectors import timeline_for_organization, timeline_for_person
from kundenwert.catalog import selectors as catalog_selectors
from kundenwert.catalog import services as catalog_services
from kundenwert.catalog.models import Product, tax_rate_display_name, unit_label
from kundenwert.contacts import selectors, services
from kundenwert.contacts.models import Organization, Person
from kundenwert.core.money import format_money
from kundenwert.core.pagination import Page
from kundenwert.orders.selectors import revenue_history
from kundenwert.sales import leads as lead_module
from kundenwert.sales import selectors as sales_selectors
from kundenwert.sales import services as sales_services
from kundenwert.sales.models import Deal, Lead, shown_name

from .forms import (
    ActivityEditForm,
    DealForm,
    LeadForm,
    OrganizationForm,
    PersonForm,
    ProductForm,
)
from .generic import Column, EntityConfig, FilterField, Related


def _join(values: Any) -> str:
    return ", ".join(str(v) for v in values or [])


def _user_name(row: dict) -> str:
    full = f"{row.get('owner__first_name') or ''} {row.get('owner__last_name') or ''}".strip()
    return full or row.get("owner__username") or ""


def _address(address: dict | None) -> str:
    address = address or {}
    city = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    return ", ".join(p for p in (address.get("street"), city, address.get("country")) if p)


OWNER_VALUES = ("owner__username", "owner__first_name", "owner__last_name")


# --- organisations ------------------------------------------------------------------------------

ORGANIZATION_VALUES = (
    "id", "name", "legal_form", "status", "vat_id", "domain", "created_at", "updated_at",
    *OWNER_VALUES,
)  # fmt: skip
STATUS_LABELS = dict(Organization.Status.choices)


def organization_rows(*, viewer, params: dict[str, str]) -> Page:
    # With `values`, each row also carries its sorted `tags`, fetched in the same query.
    return selectors.organization_list(viewer=viewer, params=params, values=ORGANIZATION_VALUES)


def organization_details(org: Organization) -> list[tuple[Any, Any]]:
    return [
        (_("Status"), org.get_status_display()),
        (_("Legal form"), org.legal_form),
        (_("VAT ID"), org.vat_id),
        (_("Industry"), org.industry),
        (_("Website"), org.website),
        (_("Email addresses"), _join(org.emails)),
        (_("Phone numbers"), _join(org.phones)),
        (_("Billing address"), _address(org.billing_address)),
        (_("Parent organisation"), org.parent or ""),
        (_("Owner"), org.owner),
        (_("Team"), org.team or ""),
        (_("Tags"), _join(t.name for t in org.tags.all())),
        (_("Created"), org.created_at),
        (_("Last changed"), org.updated_at),
    ]


def organization_related(viewer, org: Organization) -> list[Related]:
    people = selectors.person_list(
        viewer=viewer,
        params={"organization": str(org.pk), "limit": "50"},
        values=("id", "title", "first_name", "last_name", "job_title"),
    )
    items = [
        (
            " ".join(p for p in (row["title"], row["first_name"], row["last_name"]) if p),
            reverse("person-detail", args=[row["id"]]),
            row["job_title"],
        )
        for row in people.rows
    ]
    return [
        Related(_("People"), items, _("No people linked yet.")),
        Related(_("Deals"), _deal_items(viewer, {"organization": str(org.pk)}), _("No deals.")),
    ]


def _deal_items(viewer, params: dict[str, str]) -> list[tuple[str, str, str]]:
    """The newest deals of a customer, for the related list of its detail page."""
    page = sales_selectors.deal_list(
        viewer=viewer,
        params={**params, "sort": "-updated", "limit": "20"},
        values=("id", "title", "amount", "currency", "stage__name"),
    )
    return [
        (
            row["title"],
            reverse("deal-detail", args=[row["id"]]),
            f"{shown_name(row['stage__name'])} · {format_money(row['amount'], row['currency'])}",
        )
        for row in page.rows
    ]


REVENUE_MONTHS = 12  # the months the revenue panel lists, newest first


def revenue_panel(viewer, **customer: int) -> dict:
    """The customer's revenue, margin and open balance: totals to date and the last months."""
    history = revenue_history(viewer, **customer)
    if not history:
        return {}
    currency = catalog_selectors.base_currency()
    margins = [m.margin for m in history if m.margin is not None]
    months = [
        {
            "month": m.month,
            "revenue": format_money(m.revenue, currency),
            "margin": "" if m.margin is None else format_money(m.margin, currency),
            "open_balance": format_money(m.open_balance, currency),
        }
        for m in reversed(history[-REVENUE_MONTHS:])
    ]
    return {
        "revenue": {
            "currency": currency,
            "total": format_money(sum(m.revenue for m in history), currency),
            "margin": format_money(sum(margins), currency) if margins else "",
            "margin_complete": all(m.margin_complete for m in history),
            "open_balance": format_money(history[-1].open_balance, currency),
            "months": months,
        }
    }


def organization_actions(viewer, org: Organization) -> list[tuple[str, str]]:
    if org.archived_at is not None:
        return []
    return [(_("New deal"), reverse("deal-create") + f"?organization={org.pk}")]


ORGANIZATIONS = EntityConfig(
    name="organization",
    path="organizations",
    label=_("Organisation"),
    label_plural=_("Organisations"),
    list_rows=organization_rows,
    get=lambda viewer, pk: selectors.organization_get(viewer=viewer, organization_id=pk),
    columns=(
        Column(_("Name"), lambda r: f"{r['name']} {r['legal_form']}".strip(), "name", link=True),
        Column(_("Status"), lambda r: STATUS_LABELS.get(r["status"], r["status"])),
        Column(_("Domain"), lambda r: r["domain"]),
        Column(_("Tags"), lambda r: _join(r["tags"])),
        Column(_("Owner"), _user_name),
        Column(_("Last changed"), lambda r: r["updated_at"], "updated"),
    ),
    form_class=OrganizationForm,
    create=services.organization_create,
    update=lambda *, actor, pk, data, expected_version: services.organization_update(
        actor=actor, organization_id=pk, data=data, expected_version=expected_version
    ),
    archive=lambda *, actor, pk: services.organization_archive(actor=actor, organization_id=pk),
    restore=lambda *, actor, pk: services.organization_restore(actor=actor, organization_id=pk),
    timeline=lambda *, viewer, pk, params: timeline_for_organization(
        viewer=viewer, organization_id=pk, params=params
    ),
    details=organization_details,
    related=organization_related,
    actions=organization_actions,
    extra=lambda viewer, org: revenue_panel(viewer, organization_id=org.pk),
    activity_link="organization_ids",
    filters=(
        FilterField("status", _("Status"), tuple(Organization.Status.choices)),
        FilterField("tag", _("Tag")),
        FilterField("archived", _("Archived only"), checkbox_value="true"),
    ),
)


# --- people -------------------------------------------------------------------------------------

PERSON_VALUES = (
    "id", "title", "first_name", "last_name", "job_title", "emails", "created_at",
    "updated_at", *OWNER_VALUES,
)  # fmt: skip


def person_rows(*, viewer, params: dict[str, str]) -> Page:
    return selectors.person_list(viewer=viewer, params=params, values=PERSON_VALUES)


def person_details(person: Person) -> list[tuple[Any, Any]]:
    return [
        (_("Salutation"), person.get_salutation_display() if person.salutation else ""),
        (_("Job title"), person.job_title),
        (_("Email addresses"), _join(person.emails)),
        (_("Phone numbers"), _join(person.phones)),
        (_("Preferred language"), person.language),
        (_("Owner"), person.owner),
        (_("Team"), person.team or ""),
        (_("Tags"), _join(t.name for t in person.tags.all())),
        (_("Created"), person.created_at),
        (_("Last changed"), person.updated_at),
    ]


def person_related(viewer, person: Person) -> list[Related]:
    page = selectors.affiliation_list(viewer=viewer, params={"person": str(person.pk)})
    items = [
        (
            str(aff.organization),
            reverse("organization-detail", args=[aff.organization_id]),
            " · ".join(p for p in (aff.role, _("primary") if aff.is_primary else "") if p),
        )
        for aff in page.rows
    ]
    return [
        Related(_("Organisations"), items, _("Not linked to an organisation.")),
        Related(_("Deals"), _deal_items(viewer, {"person": str(person.pk)}), _("No deals.")),
    ]


PEOPLE = EntityConfig(
    name="person",
    path="people",
    label=_("Person"),
    label_plural=_("People"),
    list_rows=person_rows,
    get=lambda viewer, pk: selectors.person_get(viewer=viewer, person_id=pk),
    columns=(
        Column(
            _("Name"),
            lambda r: " ".join(p for p in (r["title"], r["first_name"], r["last_name"]) if p),
            "name",
            link=True,
        ),
        Column(_("Job title"), lambda r: r["job_title"]),
        Column(_("Email"), lambda r: (r["emails"] or [""])[0]),
        Column(_("Tags"), lambda r: _join(r["tags"])),
        Column(_("Owner"), _user_name),
        Column(_("Last changed"), lambda r: r["updated_at"], "updated"),
    ),
    form_class=PersonForm,
    create=services.person_create,
    update=lambda *, actor, pk, data, expected_version: services.person_update(
        actor=actor, person_id=pk, data=data, expected_version=expected_version
    ),
    archive=lambda *, actor, pk: services.person_archive(actor=actor, person_id=pk),
    restore=lambda *, actor, pk: services.person_restore(actor=actor, person_id=pk),
    timeline=lambda *, viewer, pk, params: timeline_for_person(
        viewer=viewer, person_id=pk, params=params
    ),
    details=person_details,
    related=person_related,
    extra=lambda viewer, person: revenue_panel(viewer, person_id=person.pk),
    activity_link="person_ids",
    filters=(
        FilterField("tag", _("Tag")),
        FilterField("archived", _("Archived only"), checkbox_value="true"),
    ),
)

# --- activities -----------------------------------------------------------------------------------

ACTIVITY_VALUES = (
    "id", "type", "subject", "occurred_at", "due_at", "is_done", "updated_at",
    "assignee__username", "assignee__first_name", "assignee__last_name", *OWNER_VALUES,
)  # fmt: skip
TYPE_LABELS = dict(Activity.Type.choices)


def _when(value: Any) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def _assignee_name(row: dict) -> str:
    full = f"{row.get('assignee__first_name') or ''} {row.get('assignee__last_name') or ''}"
    return full.strip() or row.get("assignee__username") or ""


def activity_rows(*, viewer, params: dict[str, str]) -> Page:
    return activity_selectors.activity_list(viewer=viewer, params=params, values=ACTIVITY_VALUES)


def activity_details(activity: Activity) -> list[tuple[Any, Any]]:
    done = ""
    if activity.type == Activity.Type.TASK:
        done = _("done") if activity.is_done else _("open")
    return [
        (_("Type"), activity.get_type_display()),
        (_("Status"), done),
        (_("Start"), _when(activity.starts_at)),
        (_("Due"), _when(activity.due_at)),
        (_("Duration (minutes)"), activity.duration_minutes),
        (_("Outcome"), activity.outcome),
        # Sanitised with nh3 when the activity was saved (kundenwert.activities.services).
        (_("Text"), mark_safe(activity.body_html)),
        (_("Assigned to"), activity.assignee or ""),
        (_("Owner"), activity.owner),
        (_("Team"), activity.team or ""),
        (_("Created"), activity.created_at),
        (_("Last changed"), activity.updated_at),
    ]


def activity_related(viewer, activity: Activity) -> list[Related]:
    # activity_get prefetched the links; show only those the viewer may open.
    orgs = selectors.organizations_visible_to(viewer).filter(
        pk__in=[o.pk for o in activity.organizations.all()]
    )
    people = selectors.people_visible_to(viewer).filter(
        pk__in=[p.pk for p in activity.people.all()]
    )
    return [
        Related(
            _("Organisations"),
            [(str(o), reverse("organization-detail", args=[o.pk]), "") for o in orgs],
            _("Not linked to an organisation."),
        ),
        Related(
            _("People"),
            [(str(p), reverse("person-detail", args=[p.pk]), "") for p in people],
            _("No people linked yet."),
        ),
    ]


ACTIVITIES = EntityConfig(
    name="activity",
    path="activities",
    label=_("Activity"),
    label_plural=_("Activities"),
    list_rows=activity_rows,
    get=lambda viewer, pk: activity_selectors.activity_get(viewer=viewer, activity_id=pk),
    columns=(
        Column(_("Subject"), lambda r: r["subject"], link=True),
        Column(_("Type"), lambda r: TYPE_LABELS.get(r["type"], r["type"])),
        Column(_("When"), lambda r: _when(r["occurred_at"]), "occurred"),
        Column(_("Due"), lambda r: _when(r["due_at"]), "due"),
        Column(
            _("Done"),
            lambda r: (_("yes") if r["is_done"] else _("no")) if r["type"] == "task" else "",
        ),
        Column(_("Assigned to"), _assignee_name),
        Column(_("Owner"), _user_name),
    ),
    form_class=ActivityEditForm,
    create=activity_services.activity_create,
    update=lambda *, actor, pk, data, expected_version: activity_services.activity_update(
        actor=actor, activity_id=pk, data=data, expected_version=expected_version
    ),
    archive=lambda *, actor, pk: activity_services.activity_archive(actor=actor, activity_id=pk),
    restore=lambda *, actor, pk: activity_services.activity_restore(actor=actor, activity_id=pk),
    details=activity_details,
    related=activity_related,
    filters=(
        FilterField("type", _("Type"), tuple(Activity.Type.choices)),
        FilterField("done", _("Done"), (("true", _("yes")), ("false", _("no")))),
        FilterField(
            "due",
            _("Due"),
            (("overdue", _("overdue")), ("today", _("today")), ("upcoming", _("upcoming"))),
        ),
        FilterField("archived", _("Archived only"), checkbox_value="true"),
    ),
    default_sort="-occurred",
    also_own=lambda activity: (activity.assignee_id,),
    bulk_actions=("owner", "team", "archive"),
    search_hint=_("Subject or outcome…"),
)

# --- deals --------------------------------------------------------------------------------------

DEAL_VALUES = (
    "id", "title", "amount", "currency", "probability", "expected_close_date", "updated_at",
    "created_at", "organization__name", "person__first_name", "person__last_name",
    "stage__name", "won_at", "lost_at", *OWNER_VALUES,
)  # fmt: skip
STATUS_OF_DEAL = dict(Deal.Status.choices)


def deal_rows(*, viewer, params: dict[str, str]) -> Page:
    return sales_selectors.deal_list(viewer=viewer, params=params, values=DEAL_VALUES)


def _customer(row: dict) -> str:
    person = f"{row.get('person__first_name') or ''} {row.get('person__last_name') or ''}".strip()
    return " · ".join(p for p in (row.get("organization__name") or "", person) if p)


def _deal_status(row: dict) -> str:
    if row["won_at"]:
        return str(STATUS_OF_DEAL["won"])
    return str(STATUS_OF_DEAL["lost" if row["lost_at"] else "open"])


def deal_details(deal: Deal) -> list[tuple[Any, Any]]:
    return [
        (_("Status"), STATUS_OF_DEAL[deal.status]),
        (_("Amount"), format_money(deal.amount, deal.currency)),
        (_("Pipeline"), deal.pipeline.display_name),
        (_("Stage"), deal.stage.display_name),
        (_("Probability"), f"{deal.probability} %"),
        (_("Expected close"), deal.expected_close_date),
        (_("Lost reason"), deal.lost_reason),
        (_("Source channel"), deal.get_source_channel_display() if deal.source_channel else ""),
        (_("Campaign"), deal.source_campaign),
        (_("Referred by"), deal.referrer),
        (_("Owner"), deal.owner),
        (_("Team"), deal.team or ""),
        (_("Created"), deal.created_at),
        (_("Last changed"), deal.updated_at),
    ]


def deal_related(viewer, deal: Deal) -> list[Related]:
    customer = []
    if deal.organization_id:
        customer.append(
            (
                str(deal.organization),
                reverse("organization-detail", args=[deal.organization_id]),
                "",
            )
        )
    if deal.person_id:
        customer.append((str(deal.person), reverse("person-detail", args=[deal.person_id]), ""))
    history = [
        (
            spell.stage.display_name,
            "",
            _date_span(spell),
        )
        for spell in sales_selectors.deal_stage_history(viewer=viewer, deal_id=deal.pk)
    ]
    return [
        Related(_("Customer"), customer, ""),
        Related(_("Stage history"), history, ""),
    ]


def _date_span(spell) -> str:
    start = date_format(localtime(spell.entered_at), "SHORT_DATETIME_FORMAT")
    if spell.left_at is None:
        return _("since %(start)s") % {"start": start}
    end = date_format(localtime(spell.left_at), "SHORT_DATETIME_FORMAT")
    return f"{start} – {end}"


DEALS = EntityConfig(
    name="deal",
    path="deals",
    label=_("Deal"),
    label_plural=_("Deals"),
    list_rows=deal_rows,
    get=lambda viewer, pk: sales_selectors.deal_get(viewer=viewer, deal_id=pk),
    columns=(
        Column(_("Title"), lambda r: r["title"], "title", link=True),
        Column(_("Customer"), _customer),
        Column(_("Stage"), lambda r: shown_name(r["stage__name"])),
        Column(_("Amount"), lambda r: format_money(r["amount"], r["currency"]), "amount"),
        Column(_("Status"), _deal_status),
        Column(_("Expected close"), lambda r: r["expected_close_date"], "close"),
        Column(_("Owner"), _user_name),
    ),
    form_class=DealForm,
    create=sales_services.deal_create,
    update=lambda *, actor, pk, data, expected_version: sales_services.deal_update(
        actor=actor, deal_id=pk, data=data, expected_version=expected_version
    ),
    archive=lambda *, actor, pk: sales_services.deal_archive(actor=actor, deal_id=pk),
    restore=lambda *, actor, pk: sales_services.deal_restore(actor=actor, deal_id=pk),
    details=deal_details,
    related=deal_related,
    filters=(
        FilterField("status", _("Status"), tuple(Deal.Status.choices)),
        FilterField("archived", _("Archived only"), checkbox_value="true"),
    ),
    default_sort="close",
    bulk_actions=("owner", "team", "archive"),
    search_hint=_("Title, campaign, referrer…"),
)

# --- products -----------------------------------------------------------------------------------

PRODUCT_VALUES = (
    "id", "sku", "name", "unit", "is_recurring", "billing_period", "cost_price",
    "cost_currency", "tax_rate__name", "tax_rate__preset", "tax_rate__rate", "updated_at",
)  # fmt: skip
PERIOD_LABELS = dict(Product.BillingPeriod.choices)


def product_rows(*, viewer, params: dict[str, str]) -> Page:
    return catalog_selectors.product_list(viewer=viewer, params=params, values=PRODUCT_VALUES)


def _cost(row: dict) -> str:
    if row["cost_price"] is None:
        return ""
    return format_money(row["cost_price"], row["cost_currency"])


def product_details(product: Product) -> list[tuple[Any, Any]]:
    return [
        (_("SKU"), product.sku),
        (_("Name (German)"), product.name_de),
        (_("Name (English)"), product.name_en),
        (_("Description (German)"), product.description_de),
        (_("Description (English)"), product.description_en),
        (_("Unit"), unit_label(product.unit)),
        (_("Tax rate"), f"{product.tax_rate} ({product.tax_rate.rate} %)"),
        (_("Cost price"), _cost(vars(product))),
        (_("Billing period"), PERIOD_LABELS.get(product.billing_period, "")),
        (_("Created"), product.created_at),
        (_("Last changed"), product.updated_at),
    ]


PRODUCTS = EntityConfig(
    name="product",
    path="products",
    label=_("Product"),
    label_plural=_("Products"),
    list_rows=product_rows,
    get=lambda viewer, pk: catalog_selectors.product_get(viewer=viewer, product_id=pk),
    columns=(
        Column(_("SKU"), lambda r: r["sku"], "sku", link=True),
        Column(_("Name"), lambda r: r["name"], "name"),
        Column(_("Unit"), lambda r: unit_label(r["unit"])),
        Column(
            _("Tax rate"),
            lambda r: tax_rate_display_name(r["tax_rate__name"], r["tax_rate__preset"]),
        ),
        Column(_("Billing period"), lambda r: PERIOD_LABELS.get(r["billing_period"], "")),
        Column(_("Cost price"), _cost),
        Column(_("Last changed"), lambda r: r["updated_at"], "updated"),
    ),
    form_class=ProductForm,
    create=catalog_services.product_create,
    update=lambda *, actor, pk, data, expected_version: catalog_services.product_update(
        actor=actor, product_id=pk, data=data, expected_version=expected_version
    ),
    archive=lambda *, actor, pk: catalog_services.product_archive(actor=actor, product_id=pk),
    restore=lambda *, actor, pk: catalog_services.product_restore(actor=actor, product_id=pk),
    details=product_details,
    related=lambda viewer, product: [],
    filters=(
        FilterField("recurring", _("Recurring"), (("true", _("yes")), ("false", _("no")))),
        FilterField("archived", _("Archived only"), checkbox_value="true"),
    ),
    default_sort="name",
    bulk_actions=("archive",),
    search_hint=_("SKU or name…"),
)

# --- leads --------------------------------------------------------------------------------------

LEAD_VALUES = (
    "id", "name", "company", "email", "phone", "status", "source_channel", "source_campaign",
    "created_at", "updated_at", *OWNER_VALUES,
)  # fmt: skip
LEAD_STATUS = dict(Lead.Status.choices)
CHANNELS = dict(Deal.SourceChannel.choices)


def lead_rows(*, viewer, params: dict[str, str]) -> Page:
    return lead_module.lead_list(viewer=viewer, params=params, values=LEAD_VALUES)


def lead_details(lead: Lead) -> list[tuple[Any, Any]]:
    return [
        (_("Status"), LEAD_STATUS.get(lead.status, lead.status)),
        (_("Company"), lead.company),
        (_("Email address"), lead.email),
        (_("Phone number"), lead.phone),
        (_("Source channel"), CHANNELS.get(lead.source_channel, "")),
        (_("Campaign"), lead.source_campaign),
        (_("Message"), lead.message),
        (_("Why disqualified"), lead.disqualify_reason),
        (_("Owner"), lead.owner or _("nobody yet (intake)")),
        (_("Team"), lead.team or ""),
        (_("Received"), lead.created_at),
        (_("Last changed"), lead.updated_at),
    ]


def lead_related(viewer, lead: Lead) -> list[Related]:
    items = []
    if lead.converted_organization_id:
        url = reverse("organization-detail", args=[lead.converted_organization_id])
        items.append((str(lead.converted_organization), url, _("Organisation")))
    if lead.converted_person_id:
        url = reverse("person-detail", args=[lead.converted_person_id])
        items.append((str(lead.converted_person), url, _("Person")))
    if lead.converted_deal_id:
        url = reverse("deal-detail", args=[lead.converted_deal_id])
        items.append((str(lead.converted_deal), url, _("Deal")))
    return [Related(_("Converted into"), items, _("Not converted yet."))] if items else []


def lead_actions(viewer, lead: Lead) -> list[tuple[str, str]]:
    open_lead = lead.status in {Lead.Status.NEW, Lead.Status.QUALIFIED}
    if lead.archived_at is None and open_lead and lead_module.lead_may(viewer, "edit", lead):
        return [(_("Convert lead"), reverse("lead-convert", args=[lead.pk]))]
    return []


LEADS = EntityConfig(
    name="lead",
    path="leads",
    label=_("Lead"),
    label_plural=_("Leads"),
    list_rows=lead_rows,
    get=lambda viewer, pk: lead_module.lead_get(viewer=viewer, lead_id=pk),
    columns=(
        Column(_("Name"), lambda r: r["name"], "name", link=True),
        Column(_("Company"), lambda r: r["company"]),
        Column(_("Email"), lambda r: r["email"]),
        Column(_("Status"), lambda r: LEAD_STATUS.get(r["status"], r["status"])),
        Column(_("Source channel"), lambda r: CHANNELS.get(r["source_channel"], "")),
        Column(_("Owner"), _user_name),
        Column(_("Received"), lambda r: r["created_at"], "created"),
    ),
    form_class=LeadForm,
    create=lead_module.lead_create,
    update=lambda *, actor, pk, data, expected_version: lead_module.lead_update(
        actor=actor, lead_id=pk, data=data, expected_version=expected_version
    ),
    archive=lambda *, actor, pk: lead_module.lead_archive(actor=actor, lead_id=pk),
    restore=lambda *, actor, pk: lead_module.lead_restore(actor=actor, lead_id=pk),
    details=lead_details,
    related=lead_related,
    actions=lead_actions,
    filters=(
        FilterField("status", _("Status"), tuple(Lead.Status.choices)),
        FilterField("unassigned", _("Not assigned yet"), checkbox_value="true"),
        FilterField("archived", _("Archived only"), checkbox_value="true"),
    ),
    default_sort="-created",
    may=lead_module.lead_may,
    bulk_actions=("owner", "team", "archive"),
    search_hint=_("Name, company, email, phone…"),
)

ENTITIES = (ORGANIZATIONS, PEOPLE, ACTIVITIES, DEALS, PRODUCTS, LEADS)
