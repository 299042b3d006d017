"""Screening campaigns (排查), their door-to-door tasks and the screening records.

A campaign is started at any territory level with a target; starting it produces one
``ScreeningTask`` per person targeted, assigned to the grid worker of the person's grid.
A grid worker's visit is a ``ScreeningRecord`` (the fields of domain.md §5), which also
says which of the "ten points" are still unclear about the person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic.models.base import PATTERN, GridFact, Health, RegionScoped, Transport


class CampaignTarget(models.TextChoices):
    EVERYONE = "everyone", _("Everyone living in the area")
    RISK_ARRIVALS = "risk_arrivals", _("Arrivals from risk areas since a date")
    CARE_GROUP = "care_group", _("A care group")
    IMPORTED = "imported", _("A list imported from a file")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Under way")
    CLOSED = "closed", pgettext_lazy("epidemic", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("epidemic", "Cancelled")


class ScreeningCampaign(RegionScoped):
    """A screening of the people under ``region_code`` (any level, city to grid) that
    match the target: ``arrivals_since`` for arrivals from risk areas, ``care_kind`` (a
    registry CareKind) for a care group; an imported list keeps its rows as the tasks."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(pgettext_lazy("epidemic", "description"), blank=True)
    target = models.CharField(_("target"), max_length=16, choices=CampaignTarget.choices)
    arrivals_since = models.DateField(_("arrived since"), null=True, blank=True)
    care_kind = models.CharField(_("care group"), max_length=24, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")
        indexes = [
            models.Index(fields=["region_code"], name="campaign_region", opclasses=[PATTERN]),
        ]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("To visit")
    DONE = "done", _("Screened")
    UNREACHABLE = "unreachable", _("Not found at home")
    CANCELLED = "cancelled", pgettext_lazy("epidemic", "Cancelled")


class ScreeningTask(models.Model):
    """One person to screen in a campaign, on one grid worker's door-to-door list."""

    campaign = models.ForeignKey(ScreeningCampaign, on_delete=models.CASCADE, related_name="tasks")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    grid_code = models.CharField(_("grid code"), max_length=15)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="screening_tasks",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["grid_code", "id"]
        verbose_name = _("screening task")
        verbose_name_plural = _("screening tasks")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="one_task_per_person")
        ]
        indexes = [
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
            models.Index(
                fields=["grid_code", "status"],
                name="task_grid_status",
                opclasses=[PATTERN, PATTERN],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.person_id} {self.status}"


# The "ten points" to be clear on every person (domain.md §5), in the order of the form.
TEN_POINTS = (
    "number",  # 人数: how many people
    "identity",  # 身份
    "return_time",  # 返回时间
    "origin",  # 从哪里来
    "route",  # 途经
    "transport",  # 交通方式
    "close_contacts",  # 密切接触者
    "health",  # 健康状况
    "measures",  # 采取措施
    "family",  # 家庭情况
)


class Measure(models.TextChoices):
    NONE = "none", _("None needed")
    HEALTH_WATCH = "health_watch", _("Health monitoring")
    HOME_ISOLATION = "home_isolation", _("Home isolation")
    CENTRALISED = "centralised", _("Centralised isolation")
    HOSPITAL = "hospital", _("Sent to hospital")


class ScreeningRecord(GridFact):
    """What a screening found about one person (domain.md §5). Name, sex, ID number, age,
    phone and addresses are the registry person's (``person``): nothing personal is
    copied here. ``unclear_points`` lists the ``TEN_POINTS`` still unclear."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="screening_records"
    )
    campaign = models.ForeignKey(
        ScreeningCampaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    task = models.ForeignKey(
        ScreeningTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    # Travel.
    origin_code = models.CharField(_("came from (division code)"), max_length=12, blank=True)
    places_passed = models.CharField(_("places passed"), max_length=300, blank=True)
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    transport = models.CharField(
        _("transport"), max_length=8, choices=Transport.choices, blank=True
    )
    transport_number = models.CharField(
        _("train, flight or plate number"), max_length=30, blank=True
    )
    companions = models.CharField(_("travelling companions"), max_length=200, blank=True)
    # Health.
    health = models.CharField(_("health"), max_length=16, choices=Health.choices, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    isolation_start = models.DateField(_("isolation start"), null=True, blank=True)
    contact_history = models.CharField(_("contact history"), max_length=300, blank=True)
    measures = models.JSONField(_("measures taken"), default=list, blank=True)
    measures_note = models.CharField(_("measures (note)"), max_length=200, blank=True)
    family_note = models.CharField(_("family"), max_length=200, blank=True)
    unclear_points = models.JSONField(_("points still unclear"), default=list, blank=True)
    unclear_count = models.PositiveSmallIntegerField(default=0)
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    screened_at = models.DateTimeField(_("screened at"), default=timezone.now)
    # Chosen by the sender (a UUID the phone or the form made): sent again after a lost
    # answer, it finds this record instead of making a second one.
    client_key = models.CharField(_("client key"), max_length=64, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    # True on the record an action returns for a client key it had already seen (not stored).
    repeated = False

    class Meta:
        ordering = ["-screened_at", "-id"]
        verbose_name = _("screening record")
        verbose_name_plural = _("screening records")
        indexes = [
            models.Index(fields=["grid_code"], name="screening_grid", opclasses=[PATTERN]),
            models.Index(fields=["person", "screened_at"], name="screening_person_at"),
        ]
        constraints = [models.UniqueConstraint(fields=["client_key"], name="screening_record_key")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.screened_at:%Y-%m-%d}"
