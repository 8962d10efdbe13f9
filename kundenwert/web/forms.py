"""Forms of the web interface: they check the shape of the input, the services its meaning.

Each form turns its cleaned data into the `data` dict a service takes, and puts the
ValidationError a service raises back next to the matching field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from kundenwert.activities.models import Activity
from kundenwert.contacts.models import Organization, Person
from kundenwert.org.policies import permissions_for
from kundenwert.org.selectors import team_list, user_list


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
    def initial_for_new(cls, viewer) -> dict[str, Any]:
        """Return the initial values of a blank form for `viewer`."""
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
            users = user_list(viewer=viewer, params={"active": "true", "limit": "200"}).rows
            teams = team_list(viewer=viewer, params={"limit": "200"}).rows
            self.fields["owner_id"].choices = [(u.pk, str(u)) for u in users]
            self.fields["team_id"].choices = [("", "—")] + [(t.pk, t.name) for t in teams]
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
    def initial_for_new(cls, viewer) -> dict[str, Any]:
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
    def initial_for_new(cls, viewer) -> dict[str, Any]:
        initial = super().initial_for_new(viewer)
        return {**initial, "type": Activity.Type.TASK, "assignee_id": viewer.pk}
