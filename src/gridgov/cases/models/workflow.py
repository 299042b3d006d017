"""The case and everything that happens to it.

A case moves through the stages of domain.md §3 only by the actions in
``gridgov.cases.actions`` (one per transition, allowed moves in
``gridgov.cases.workflow``); each move appends a ``CaseEvent``, so the timeline and the
time spent in every stage come from the events. ``version`` is bumped by every move, and
an action names the version it saw, so two people acting at once cannot both win.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    REPORTED = "reported", _("Reported")  # 待受理: waiting for the supervision centre
    VERIFYING = "verifying", _("Being verified")  # 核实中: a supervisor checks on site
    VERIFIED = "verified", _("Verified")  # 已核实: back with the supervision centre
    FILED = "filed", _("Filed")  # 已立案: waiting for the command centre to dispatch
    DISPATCHED = "dispatched", _("Dispatched")  # 已派遣: waiting for the department
    ACCEPTED = "accepted", _("Being disposed")  # 处置中
    DISPOSED = "disposed", _("Disposed")  # 已反馈: the department reported back
    CHECKING = "checking", _("Being checked")  # 核查中: a supervisor checks on site
    CHECKED = "checked", _("Checked")  # 已核查: waiting to be closed or reworked
    CLOSED = "closed", _("Closed")  # 已结案
    CANCELLED = "cancelled", _("Cancelled")  # 已作废 (invalid, or merged into another)


OPEN_STAGES = frozenset(Stage) - {Stage.CLOSED, Stage.CANCELLED}


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid worker patrol")
    CITIZEN = "citizen", _("Citizen report")
    HOTLINE = "hotline", _("Hotline")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    VIDEO = "video", _("Video surveillance")
    LEADER = "leader", _("Leader")


# Sources through which the public reports: a verified case from one of these in a grid
# counts as a missed report against the grid's supervisor (domain.md §4).
PUBLIC_SOURCES = frozenset({Source.CITIZEN, Source.HOTLINE, Source.OPEN311})


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class CaseNumberCounter(models.Model):
    """The last case number handed out on a day; numbers are ``YYYYMMDD`` + 6 digits."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=14, unique=True)
    # What the public holds to follow its report (and the Open311 token); not guessable.
    public_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.REPORTED, db_index=True
    )
    case_class = models.ForeignKey(
        "cases.CaseClass",
        verbose_name=_("class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    component = models.ForeignKey(
        "cases.Component",
        verbose_name=_("component"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    # Answers to the class's report attributes (Open311 attribute[code] = value).
    attributes = models.JSONField(default=dict, blank=True)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    # A member of the public who reported without an account: name and a phone number
    # kept like every personal number (encrypted, keyed hash, masked copy).
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone_enc = models.BinaryField(null=True, blank=True, editable=False)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    reporter_phone_masked = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    key_id = models.CharField(max_length=16, blank=True, editable=False)

    # The grid's supervisor (grid worker) who verifies and checks on site.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_cases",
    )
    suggested_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("suggested department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    dispatcher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispatched_cases",
    )

    # The disposal time limit as it stood when the case was filed, and its deadline
    # (set at dispatch, when the disposal clock starts; extended by postponements).
    limit_value = models.PositiveIntegerField(_("time limit"), null=True, blank=True)
    limit_unit = models.CharField(_("time limit unit"), max_length=16, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    # The deadline of the stage the case is in now (verification, dispatch, check...).
    stage_deadline = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    # When each clock turns yellow (80 % of its limit used, in the unit's own clock),
    # stored with its deadline so that lists count, filter and page traffic lights in the
    # database (queries.workflow.with_lights). Empty: computed from the calendar instead.
    stage_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the case entered its current stage: the start of the stage's clock (traffic
    # light, time spent in the stage) without reading the events.
    stage_started_at = models.DateTimeField(_("in this stage since"), null=True, blank=True)

    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    disposed_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    dispatch_count = models.PositiveIntegerField(default=0)
    rework_count = models.PositiveIntegerField(default=0)
    return_count = models.PositiveIntegerField(default=0)
    postponement_count = models.PositiveIntegerField(default=0)
    verified = models.BooleanField(_("verified as real"), null=True, blank=True)
    check_passed = models.BooleanField(_("check passed"), null=True, blank=True)
    closed_on_time = models.BooleanField(null=True, blank=True)
    result = models.TextField(_("disposal result"), blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_cases",
    )

    rating = models.CharField(
        _("citizen's rating"), max_length=12, choices=Rating.choices, blank=True
    )
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["stage", "grid_code"], name="case_stage_grid"),
            models.Index(fields=["department", "stage"], name="case_department_stage"),
            models.Index(fields=["supervisor", "stage"], name="case_supervisor_stage"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class CaseEvent(models.Model):
    """One step in a case's life: who did what, when, and the stage before and after."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_stage = models.CharField(max_length=12, blank=True)
    to_stage = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case_id", "at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_stage} → {self.to_stage}"


class PostponementStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Postponement(models.Model):
    """延期: a department asks for more time; the command centre decides."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="postponements")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500)
    amount = models.PositiveIntegerField(_("extra time"))
    unit = models.CharField(_("unit"), max_length=16)
    status = models.CharField(
        max_length=10, choices=PostponementStatus.choices, default=PostponementStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["case_id", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="one_pending_postponement_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"+{self.amount} {self.unit} ({self.status})"


class AttachmentPurpose(models.TextChoices):
    REPORT = "report", _("Report")
    DISPOSAL = "disposal", _("Disposal")
    CHECK = "check", _("Check")
    COMPONENT = "component", _("Component photo")


class Attachment(models.Model):
    """A photo or document of a case or a component, stored by the configured storage.

    Images are stored with their location metadata stripped; ``thumbnail`` is a small
    JPEG for lists.
    """

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    component = models.ForeignKey(
        "cases.Component",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    purpose = models.CharField(max_length=10, choices=AttachmentPurpose.choices)
    file = models.FileField(max_length=200)
    thumbnail = models.FileField(max_length=200, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(component__isnull=False),
                name="attachment_belongs_somewhere",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.file.name or ""
