"""Organisations and people the company has relationships with, and how they are linked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kundenwert.core.models import ArchivableModel
from kundenwert.core.normalize import search_text
from kundenwert.org.models import Team
from kundenwert.org.policies import scope_q


def organization_search_text(*, name, legal_form, vat_id, domain, emails, phones) -> str:
    """The text an organisation is found by (services and the bulk seeder both use this)."""
    return search_text(name, legal_form, vat_id, domain, emails, phones)


def person_search_text(*, first_name, last_name, emails, phones) -> str:
    """The text a person is found by."""
    return search_text(first_name, last_name, emails, phones)


class Tag(models.Model):
    """A free label on organisations and people, e.g. "trade fair 2026"."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VisibleQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what a viewer may read."""

    entity = ""

    def visible_to(self, viewer, action: str = "read"):
        q = scope_q(viewer, self.entity, action)
        return self if q is None else self.filter(q)

    def active(self):
        return self.filter(archived_at__isnull=True)


class OrganizationQuerySet(VisibleQuerySet):
    entity = "organization"


class PersonQuerySet(VisibleQuerySet):
    entity = "person"


class Organization(ArchivableModel):
    """A company, public body or association: a customer, prospect or partner."""

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("prospect")
        CUSTOMER = "customer", _("customer")
        PARTNER = "partner", _("partner")
        FORMER_CUSTOMER = "former_customer", _("former customer")

    LEGAL_FORMS = (
        "GmbH", "AG", "UG (haftungsbeschränkt)", "GmbH & Co. KG", "KG", "OHG", "GbR", "e.K.",
        "e.V.", "SE", "KGaA", "eG", "Ltd", "PLC", "LLP", "LLC", "Inc.", "Corp.", "S.A.",
        "S.à r.l.", "B.V.", "N.V.", "S.r.l.", "S.p.A.", "AB", "A/S", "Oy", "sole trader",
    )  # fmt: skip

    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=40, blank=True)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    domain = models.CharField(_("domain"), max_length=200, blank=True, db_index=True)
    emails = models.JSONField(_("email addresses"), default=list, blank=True)
    phones = models.JSONField(_("phone numbers"), default=list, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, related_name="organizations", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_organizations",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="organizations"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROSPECT
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
        verbose_name=_("parent organisation"),
    )
    search_text = models.TextField(blank=True, editable=False)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["name", "id"], name="org_name_id"),
            models.Index(fields=["owner", "name", "id"], name="org_owner_name"),
            models.Index(fields=["team", "name", "id"], name="org_team_name"),
            models.Index(fields=["status", "name", "id"], name="org_status_name"),
            models.Index(fields=["updated_at", "id"], name="org_updated_id"),
            models.Index(fields=["created_at", "id"], name="org_created_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.legal_form}".strip()


class Person(ArchivableModel):
    """A human being: a contact at an organisation, or a private customer (B2C)."""

    class Salutation(models.TextChoices):
        NONE = "", _("none")
        MR = "mr", _("Mr")
        MS = "ms", _("Ms")
        MX = "mx", _("Mx")

    salutation = models.CharField(
        _("salutation"), max_length=4, choices=Salutation.choices, blank=True
    )
    title = models.CharField(_("title"), max_length=50, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    emails = models.JSONField(_("email addresses"), default=list, blank=True)
    phones = models.JSONField(_("phone numbers"), default=list, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    language = models.CharField(_("preferred language"), max_length=8, blank=True)
    addresses = models.JSONField(_("addresses"), default=list, blank=True)
    tags = models.ManyToManyField(Tag, related_name="people", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_people",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    organizations = models.ManyToManyField(
        Organization, through="Affiliation", related_name="people", blank=True
    )
    search_text = models.TextField(blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="person_name_id"),
            models.Index(fields=["owner", "last_name", "id"], name="person_owner_name"),
            models.Index(fields=["team", "last_name", "id"], name="person_team_name"),
            models.Index(fields=["updated_at", "id"], name="person_updated_id"),
            models.Index(fields=["created_at", "id"], name="person_created_id"),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class AffiliationQuerySet(models.QuerySet):
    def visible_to(self, viewer, action: str = "read"):
        """Narrow to affiliations whose person the viewer may see (or act on)."""
        if scope_q(viewer, "person", action) is None:
            return self
        return self.filter(person__in=Person.objects.visible_to(viewer, action).values("id"))


class Affiliation(models.Model):
    """A person's role at an organisation; one of a person's affiliations may be primary."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="affiliations"
    )
    role = models.CharField(_("role"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"], name="affiliation_unique_pair"
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(is_primary=True),
                name="affiliation_one_primary",
            ),
        ]
        indexes = [models.Index(fields=["organization", "person"], name="affiliation_org")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.organization}"

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'
