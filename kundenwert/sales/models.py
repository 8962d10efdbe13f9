"""Sales pipelines with their stages, the deals moving through them, and each deal's stage history.

Stage and pipeline names are stored as typed (in English for the shipped ones). The names of the
shipped presets are also msgids (`SHIPPED_NAMES`): `display_name` shows them in the reader's
language, while a name an administrator typed is shown exactly as typed. Renaming a preset in
the database therefore needs no migration and no second column, and a German installation that
renames "Proposal" to "Angebot" simply stores its own word.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kundenwert.contacts.models import Organization, Person
from kundenwert.core.models import ArchivableModel
from kundenwert.core.money import DEFAULT_CURRENCY
from kundenwert.core.normalize import search_text
from kundenwert.org.models import Team
from kundenwert.org.policies import scope_q

# The presets of migration 0003 (and of a new pipeline without stages of its own):
# (name, default probability in %, kind).
PRESET_PIPELINE = "Sales"
PRESET_STAGES = (
    ("Qualification", 10, "open"),
    ("Needs analysis", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
)
# The stored English name of each preset → its translation (the msgids of the catalogue).
SHIPPED_NAMES = {
    "Sales": _("Sales"),
    "Qualification": _("Qualification"),
    "Needs analysis": _("Needs analysis"),
    "Proposal": _("Proposal"),
    "Negotiation": _("Negotiation"),
    "Won": _("Won"),
    "Lost": _("Lost"),
}

# Amounts keep up to four places (the most any ISO 4217 currency has, e.g. CLF); services allow
# no more places than the deal's currency has, so a stored amount is always exact in it.
AMOUNT_DIGITS = 18
AMOUNT_PLACES = 4


def deal_search_text(*, title: str, source_campaign: str, referrer: str) -> str:
    """The text a deal is found by."""
    return search_text(title, source_campaign, referrer)


def customer_required_message():
    return _("Link the deal to an organisation or a person.")


def shown_name(name: str) -> str:
    """Return a stored pipeline or stage name in the reader's language if it is a preset."""
    return str(SHIPPED_NAMES.get(name, name))


class Pipeline(ArchivableModel):
    """A sales process with its own ordered stages, e.g. "New business" or "Renewals"."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="pipeline_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return shown_name(self.name)


class Stage(ArchivableModel):
    """One step of a pipeline, e.g. "Proposal": where a deal stands and how likely it closes."""

    class Kind(models.TextChoices):
        OPEN = "open", _("open")
        WON = "won", _("won")
        LOST = "lost", _("lost")

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_max_100"
            ),
        ]
        indexes = [models.Index(fields=["pipeline", "position", "id"], name="stage_order")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return shown_name(self.name)

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class DealQuerySet(models.QuerySet):
    def visible_to(self, viewer, action: str = "read"):
        """Narrow to the deals `viewer` may read (or act on): own, the team's, or all."""
        q = scope_q(viewer, "deal", action)
        return self if q is None else self.filter(q)

    def active(self):
        return self.filter(archived_at__isnull=True)


class Deal(ArchivableModel):
    """A sales opportunity with an organisation and/or a person, moving through a pipeline.

    Open, won or lost follows from the stage: won_at/lost_at/closed_at are set by the move
    service whenever the deal enters a won or lost stage and cleared when it is reopened.
    """

    class SourceChannel(models.TextChoices):
        WEB = "web", _("website")
        REFERRAL = "referral", _("referral")
        EVENT = "event", _("event")
        OUTBOUND = "outbound", _("outbound")
        INBOUND_CALL = "inbound_call", _("inbound call")
        PARTNER = "partner", _("partner")
        ADVERTISING = "advertising", _("advertising")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        WON = "won", _("won")
        LOST = "lost", _("lost")

    title = models.CharField(_("title"), max_length=200)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("person"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_deals",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("team"),
    )
    amount = models.DecimalField(
        _("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0
    )
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    source_channel = models.CharField(
        _("source channel"), max_length=16, choices=SourceChannel.choices, blank=True
    )
    source_campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    referrer = models.CharField(_("referrer"), max_length=200, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=500, blank=True)
    won_at = models.DateTimeField(_("won"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    objects = DealQuerySet.as_manager()

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_neg"),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="deal_probability_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(organization__isnull=False) | models.Q(person__isnull=False),
                name="deal_has_customer",
                violation_error_message=customer_required_message(),
            ),
        ]
        indexes = [
            models.Index(
                fields=["pipeline", "stage", "expected_close_date", "id"], name="deal_board"
            ),
            models.Index(fields=["expected_close_date", "id"], name="deal_close_id"),
            models.Index(fields=["amount", "id"], name="deal_amount_id"),
            models.Index(fields=["title", "id"], name="deal_title_id"),
            models.Index(fields=["updated_at", "id"], name="deal_updated_id"),
            models.Index(fields=["owner", "expected_close_date", "id"], name="deal_owner_close"),
            models.Index(fields=["team", "expected_close_date", "id"], name="deal_team_close"),
            models.Index(fields=["closed_at"], name="deal_closed_at"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def status(self) -> str:
        if self.won_at is not None:
            return self.Status.WON
        if self.lost_at is not None:
            return self.Status.LOST
        return self.Status.OPEN


class DealStageChange(models.Model):
    """One move of a deal into a stage (the first row: the stage it was created in).

    The time a deal spent in a stage is the gap to its next change.
    """

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed"), db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [models.Index(fields=["deal", "changed_at", "id"], name="deal_history")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


# --- leads ---------------------------------------------------------------------------------------

# The longest inquiry text a lead keeps (the public form refuses longer ones with a field error).
LEAD_MESSAGE_MAX = 5000


def lead_search_text(*, name: str, email: str, company: str, phone: str, campaign: str) -> str:
    """The text a lead is found by."""
    return search_text(name, email, company, phone, campaign)


class LeadQuerySet(models.QuerySet):
    def visible_to(self, viewer, action: str = "read"):
        """Narrow to the leads `viewer` may read (or act on): own, the team's, or all.

        A lead from the public form has no owner until somebody takes it; it belongs to the
        intake team (setting LEAD_INTAKE_TEAM), so the team rule shows it to that team's
        team-level readers, and the level "all" shows it to everybody with that level.
        """
        q = scope_q(viewer, "lead", action)
        return self if q is None else self.filter(q)

    def active(self):
        return self.filter(archived_at__isnull=True)


class Lead(ArchivableModel):
    """An unqualified inquiry: somebody who asked about the offer and is not yet a customer.

    It comes from a user (UI, API) or from the public web form, is qualified or disqualified,
    and is finally converted into an organisation, a person and a deal (the links are kept).
    """

    class Status(models.TextChoices):
        NEW = "new", _("new")
        QUALIFIED = "qualified", _("qualified")
        DISQUALIFIED = "disqualified", _("disqualified")
        CONVERTED = "converted", _("converted")

    name = models.CharField(_("name"), max_length=200)
    email = models.CharField(_("email address"), max_length=254, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    source_channel = models.CharField(
        _("source channel"), max_length=16, choices=Deal.SourceChannel.choices, blank=True
    )
    source_campaign = models.CharField(_("campaign"), max_length=200, blank=True)
    message = models.TextField(_("message"), max_length=LEAD_MESSAGE_MAX, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    disqualify_reason = models.CharField(_("disqualify reason"), max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("team"),
    )
    converted_organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        verbose_name=_("organisation"),
    )
    converted_person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        verbose_name=_("person"),
    )
    converted_deal = models.ForeignKey(
        Deal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        verbose_name=_("deal"),
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    # The sender's address of a public-form lead: the per-IP rate limit counts by it.
    submitted_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="converted") | models.Q(converted_at__isnull=False),
                name="lead_converted_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="disqualified") | ~models.Q(disqualify_reason=""),
                name="lead_disqualified_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="lead_created_id"),
            models.Index(fields=["updated_at", "id"], name="lead_updated_id"),
            models.Index(fields=["name", "id"], name="lead_name_id"),
            models.Index(fields=["status", "created_at", "id"], name="lead_status_created"),
            models.Index(fields=["owner", "created_at", "id"], name="lead_owner_created"),
            models.Index(fields=["team", "created_at", "id"], name="lead_team_created"),
            models.Index(fields=["submitted_ip", "created_at"], name="lead_ip_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name
