"""Forms of the web interface: they check the shape of the input, the services its meaning.

Each form turns its cleaned data into the `data` dict a service takes, and puts the
ValidationError a service raises back next to the matching field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from babel.numbers import NumberFormatError, parse_decimal
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from kundenwert.activities.models import Activity
from kundenwert.catalog.models import Product
from kundenwert.catalog.selectors import tax_rate_list
from kundenwert.contacts.models import Organization, Person
from kundenwert.contacts.selectors import organizations_visible_to, people_visible_to
from kundenwert.core.money import DEFAULT_CURRENCY, babel_locale
from kundenwert.org.policies import permissions_for
from kundenwert.org.selectors import team_choices, user_choices
from kundenwert.sales.models import Deal
from kundenwert.sales.selectors import pipeline_choices


class LinesField(forms.CharField):
    """A text area holding one value per line (email addresses, phone numbers)."""

    widget = forms.Textarea(attrs={"rows": 2})

    def to_python(self, value: Any) -> list[str]:
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> str:
        return "\n".join(value) if isinstance(value, list | tuple) else (value or "")


class TagsField(forms.CharField):
    """Tags as one comma-separated line."""

    def to_python(self, value: Any) -> list[str]:
        return sorted({part.strip() for part in str(value or "").split(",") if part.strip()})

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list | tuple) else (value or "")


class ServiceForm(forms.Form):
    """A form whose data goes to a service; the service's errors come back to the fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, viewer=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    # Service error keys that name no form field, mapped to the field that shows them.
    error_fields: ClassVar[dict[str, str]] = {}

    def to_data(self) -> dict[str, Any]:
        """Return the cleaned data as the service's `data` dict."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    @classmethod
    def initial_from(cls, record) -> dict[str, Any]:
        """Return the form's initial values for an existing record."""
        values = {name: getattr(record, name) for name in cls.base_fields if hasattr(record, name)}
        values["version"] = record.version
        if "tags" in cls.base_fields:
            values["tags"] = sorted(t.name for t in record.tags.all())
        return values

    @classmethod
    def initial_for_new(cls, viewer, params=None) -> dict[str, Any]:
        """Return the initial values of a blank form for `viewer` (`params`: the query string)."""
        return {}

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError next to the fields it names."""
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        )
        for key, messages in errors.items():
            name = self.error_fields.get(key, key)
            self.add_error(name if name in self.fields else None, messages)


class OwnedForm(ServiceForm):
    """A record with an owner and a team, both chosen from the company directory."""

    owner_id = forms.TypedChoiceField(
        label=_("Owner"), coerce=int, empty_value=None, required=False, choices=()
    )
    team_id = forms.TypedChoiceField(
        label=_("Team"), coerce=int, empty_value=None, required=False, choices=()
    )

    def __init__(self, *args: Any, viewer=None, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        if viewer is not None:
            # The directory's first page: enough for the companies Kundenwert is built for.
            self.fields["owner_id"].choices = user_choices(viewer=viewer)
            self.fields["team_id"].choices = [("", "—"), *team_choices(viewer=viewer)]
        rest = [name for name in self.fields if name not in {"owner_id", "team_id"}]
        self.order_fields([*rest, "owner_id", "team_id"])

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        # Only what was submitted: a post without the fields keeps the owner and team.
        for name in ("owner_id", "team_id"):
            if name not in self.data or (name == "owner_id" and data[name] is None):
                data.pop(name, None)
        return data

    @classmethod
    def initial_for_new(cls, viewer, params=None) -> dict[str, Any]:
        team_ids = sorted(permissions_for(viewer).team_ids)
        return {"owner_id": viewer.pk, "team_id": team_ids[0] if len(team_ids) == 1 else None}


class OrganizationForm(OwnedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    legal_form = forms.CharField(label=_("Legal form"), max_length=40, required=False)
    vat_id = forms.CharField(label=_("VAT ID"), max_length=40, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Organization.Status.choices)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    emails = LinesField(label=_("Email addresses (one per line)"), required=False)
    phones = LinesField(label=_("Phone numbers (one per line)"), required=False)
    tags = TagsField(label=_("Tags (comma-separated)"), required=False)
    billing_street = forms.CharField(
        label=_("Billing address: street"), max_length=200, required=False
    )
    billing_postal_code = forms.CharField(
        label=_("Billing address: postal code"), max_length=20, required=False
    )
    billing_city = forms.CharField(label=_("Billing address: city"), max_length=200, required=False)
    billing_country = forms.CharField(
        label=_("Billing address: country (ISO code, e.g. DE)"), max_length=60, required=False
    )

    error_fields: ClassVar[dict[str, str]] = {"billing_address": "billing_country"}
    ADDRESS_KEYS = ("street", "postal_code", "city", "country")

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        address = {key: data.pop(f"billing_{key}") for key in self.ADDRESS_KEYS}
        data["billing_address"] = address if any(address.values()) else {}
        return data

    @classmethod
    def initial_from(cls, record) -> dict[str, Any]:
        values = super().initial_from(record)
        for key in cls.ADDRESS_KEYS:
            values[f"billing_{key}"] = (record.billing_address or {}).get(key, "")
        return values


class PersonForm(OwnedForm):
    salutation = forms.ChoiceField(
        label=_("Salutation"), choices=Person.Salutation.choices, required=False
    )
    title = forms.CharField(label=_("Title"), max_length=50, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    job_title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("", "—"), ("de", _("German")), ("en", _("English"))],
        required=False,
    )
    emails = LinesField(label=_("Email addresses (one per line)"), required=False)
    phones = LinesField(label=_("Phone numbers (one per line)"), required=False)
    tags = TagsField(label=_("Tags (comma-separated)"), required=False)


class ActivityForm(ServiceForm):
    """The inline "add note / log call / add task" form on a timeline."""

    TYPES = (
        (Activity.Type.NOTE, _("Note")),
        (Activity.Type.CALL, _("Call")),
        (Activity.Type.TASK, _("Task")),
    )

    type = forms.ChoiceField(label=_("Type"), choices=TYPES, initial=Activity.Type.NOTE)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    due_at = forms.DateTimeField(
        label=_("Due (tasks)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        if data.get("due_at") is None:
            data.pop("due_at", None)
        return data


class ActivityEditForm(OwnedForm):
    """The full form of an activity (its own page): every type, dates, outcome, assignee.

    The records it is linked to stay as they are; new activities made here stand alone
    (the inline form on a record's timeline links them).
    """

    DATE_INPUT = {
        "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    }

    type = forms.ChoiceField(label=_("Type"), choices=Activity.Type.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    starts_at = forms.DateTimeField(label=_("Start"), required=False, **DATE_INPUT)
    due_at = forms.DateTimeField(label=_("Due (tasks)"), required=False, **DATE_INPUT)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=60 * 24 * 31, required=False
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=200, required=False)
    is_done = forms.BooleanField(label=_("Done"), required=False)
    assignee_id = forms.TypedChoiceField(
        label=_("Assigned to"), coerce=int, empty_value=None, required=False, choices=()
    )

    def __init__(self, *args: Any, viewer=None, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["assignee_id"].choices = [("", "—"), *self.fields["owner_id"].choices]
        people = ("assignee_id", "owner_id", "team_id")
        self.order_fields([name for name in self.fields if name not in people] + list(people))

    @classmethod
    def initial_for_new(cls, viewer, params=None) -> dict[str, Any]:
        initial = super().initial_for_new(viewer, params)
        return {**initial, "type": Activity.Type.TASK, "assignee_id": viewer.pk}


class AmountField(forms.DecimalField):
    """A decimal as the user's locale writes it: `12.345,67` in German, `12,345.67` in English.

    Django removes the thousands separator only when USE_THOUSAND_SEPARATOR is on (which would
    also group ids in templates); babel parses with the same CLDR data that formats the amounts,
    strictly, so a misplaced separator (`1.23,4`) is an error rather than a different number.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(localize=True, **kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str) and value.strip() not in self.empty_values:
            try:
                value = parse_decimal(value.strip(), locale=babel_locale(), strict=True)
            except NumberFormatError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
        return super().to_python(value)


class DealForm(OwnedForm):
    """A deal: its customer, amount, stage and where it came from.

    The organisation and person are picked from short lists (a form cannot offer 100,000
    organisations): the one the deal was started from (`?organization=` on "New deal"), the
    deal's own, or the viewer's most recently changed ones; people of the chosen organisation.
    """

    CUSTOMER_CHOICES = 200

    title = forms.CharField(label=_("Title"), max_length=200)
    organization_id = forms.TypedChoiceField(
        label=_("Organisation"), coerce=int, empty_value=None, required=False, choices=()
    )
    person_id = forms.TypedChoiceField(
        label=_("Contact person"), coerce=int, empty_value=None, required=False, choices=()
    )
    amount = AmountField(label=_("Amount"), min_value=0, max_digits=18, decimal_places=4)
    currency = forms.CharField(label=_("Currency (ISO code, e.g. EUR)"), max_length=3)
    stage_id = forms.TypedChoiceField(label=_("Stage"), coerce=int, choices=())
    probability = forms.IntegerField(
        label=_("Probability (%), empty for the stage's"),
        min_value=0,
        max_value=100,
        required=False,
    )
    expected_close_date = forms.DateField(
        label=_("Expected close"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    lost_reason = forms.CharField(
        label=_("Lost reason (when lost)"), max_length=500, required=False
    )
    source_channel = forms.ChoiceField(
        label=_("Source channel"), choices=[("", "—")], required=False
    )
    source_campaign = forms.CharField(label=_("Campaign"), max_length=200, required=False)
    referrer = forms.CharField(label=_("Referred by"), max_length=200, required=False)

    def __init__(self, *args: Any, viewer=None, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["source_channel"].choices = [("", "—"), *Deal.SourceChannel.choices]
        if viewer is None:
            return
        chosen = self.data.get("organization_id") or self.initial.get("organization_id")
        chosen_id = int(chosen) if str(chosen or "").isdigit() else None
        orgs = organizations_visible_to(viewer).filter(archived_at__isnull=True)
        recent = list(
            orgs.order_by("-updated_at", "-id").values_list("id", "name")[: self.CUSTOMER_CHOICES]
        )
        if chosen_id and chosen_id not in {pk for pk, _name in recent}:
            recent += list(orgs.filter(pk=chosen_id).values_list("id", "name"))
        self.fields["organization_id"].choices = [
            ("", "—"),
            *sorted(recent, key=lambda item: item[1].casefold()),
        ]
        people = people_visible_to(viewer).filter(archived_at__isnull=True)
        if chosen_id:
            people = people.filter(affiliations__organization_id=chosen_id)
        self.fields["person_id"].choices = [
            ("", "—"),
            *[
                (pk, f"{first} {last}".strip())
                for pk, first, last in people.order_by("last_name", "first_name", "id").values_list(
                    "id", "first_name", "last_name"
                )[: self.CUSTOMER_CHOICES]
            ],
        ]
        self.stage_pipeline: dict[int, int] = {}
        groups = []
        for pipeline in pipeline_choices(viewer=viewer):
            stages = pipeline.stages.filter(archived_at__isnull=True).order_by("position", "id")
            options = []
            for stage in stages:
                self.stage_pipeline[stage.pk] = pipeline.pk
                options.append((stage.pk, stage.display_name))
            groups.append((pipeline.display_name, options))
        self.fields["stage_id"].choices = groups

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data["pipeline_id"] = self.stage_pipeline.get(data["stage_id"])
        if data.get("probability") is None:
            data.pop("probability", None)  # the stage's default
        data["currency"] = data["currency"].upper()
        return data

    @classmethod
    def initial_from(cls, record) -> dict[str, Any]:
        values = super().initial_from(record)
        values["currency"] = record.currency
        return values

    @classmethod
    def initial_for_new(cls, viewer, params=None) -> dict[str, Any]:
        initial = {**super().initial_for_new(viewer, params), "currency": DEFAULT_CURRENCY}
        organization = (params or {}).get("organization", "")
        if organization.isdigit():
            initial["organization_id"] = int(organization)
        return initial


class ProductForm(ServiceForm):
    """A product or service of the catalogue."""

    sku = forms.CharField(label=_("SKU"), max_length=64)
    name_de = forms.CharField(label=_("Name (German)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    description_de = forms.CharField(
        label=_("Description (German)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=())
    tax_rate_id = forms.TypedChoiceField(label=_("Tax rate"), coerce=int, choices=())
    cost_price = AmountField(
        label=_("Cost price (for the margin)"),
        min_value=0,
        max_digits=18,
        decimal_places=4,
        required=False,
    )
    cost_currency = forms.CharField(label=_("Currency of the cost price"), max_length=3)
    is_recurring = forms.BooleanField(label=_("Recurring (subscription)"), required=False)
    billing_period = forms.ChoiceField(label=_("Billing period"), choices=(), required=False)

    def __init__(self, *args: Any, viewer=None, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["unit"].choices = list(Product.UNIT_PRESETS.items())
        self.fields["billing_period"].choices = Product.BillingPeriod.choices
        if viewer is not None:
            rates = tax_rate_list(viewer=viewer, params={"limit": "200"}).rows
            self.fields["tax_rate_id"].choices = [(r.pk, f"{r} ({r.rate} %)") for r in rates]

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data["cost_currency"] = data["cost_currency"].upper()
        return data

    @classmethod
    def initial_for_new(cls, viewer, params=None) -> dict[str, Any]:
        default = next(
            (r for r in tax_rate_list(viewer=viewer, params={}).rows if r.is_default), None
        )
        return {
            "unit": "piece",
            "cost_currency": DEFAULT_CURRENCY,
            "tax_rate_id": default.pk if default else None,
        }


class LeadForm(OwnedForm):
    """An inquiry to qualify: who asked, from where, and what they want."""

    name = forms.CharField(label=_("Name"), max_length=200)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
    source_channel = forms.ChoiceField(label=_("Source channel"), choices=(), required=False)
    source_campaign = forms.CharField(label=_("Campaign"), max_length=200, required=False)
    message = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args: Any, viewer=None, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["source_channel"].choices = [("", "—"), *Deal.SourceChannel.choices]
        # A lead may wait in the intake pool without an owner.
        self.fields["owner_id"].choices = [("", "—"), *self.fields["owner_id"].choices]

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        if "owner_id" in self.data and self.data["owner_id"] == "":
            data["owner_id"] = None  # back to the pool
        return data
