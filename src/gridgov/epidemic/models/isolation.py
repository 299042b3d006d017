"""Isolation (隔离): home or centralised episodes and their daily follow-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic.models.base import PATTERN, GridFact


class IsolationKind(models.TextChoices):
    HOME = "home", _("Home isolation")
    CENTRALISED = "centralised", _("Centralised isolation")


class IsolationReason(models.TextChoices):
    RISK_ARRIVAL = "risk_arrival", _("Arrived from a risk area")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    ABNORMAL = "abnormal", _("Abnormal health")
    DECISION = "decision", _("Decision of the health authority")


class IsolationStatus(models.TextChoices):
    ACTIVE = "active", _("In isolation")
    RELEASED = "released", _("Released")


class ReleaseMode(models.TextChoices):
    RULE = "rule", _("Planned end reached with normal follow-ups")
    DECISION = "decision", pgettext_lazy("epidemic", "Decision")


class IsolationEpisode(GridFact):
    """One stretch of isolation of one person. ``grid_code`` is the person's grid (whose
    worker follows them up), also for centralised isolation away from home; ``place`` says
    where (the hotel, or the home address). At most one active episode per person."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="isolation_episodes"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=IsolationKind.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=IsolationReason.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    start_date = models.DateField(_("start"))
    planned_end = models.DateField(_("planned end"))
    status = models.CharField(
        _("status"), max_length=10, choices=IsolationStatus.choices, default=IsolationStatus.ACTIVE
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="isolation_episodes",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_on = models.DateField(_("released on"), null=True, blank=True)
    release_mode = models.CharField(
        _("released by"), max_length=10, choices=ReleaseMode.choices, blank=True
    )
    release_note = models.CharField(_("release note"), max_length=200, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("isolation")
        verbose_name_plural = _("isolations")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="active"),
                name="one_active_isolation_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("start_date")),
                name="isolation_period_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["grid_code", "status"],
                name="isolation_grid_status",
                opclasses=[PATTERN, PATTERN],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.start_date}–{self.planned_end}"


class FollowUpStatus(models.TextChoices):
    DUE = "due", pgettext_lazy("epidemic", "Due")
    DONE = "done", pgettext_lazy("epidemic", "Done")
    MISSED = "missed", _("Missed")


class IsolationFollowUp(models.Model):
    """One day's follow-up of one isolated person, generated for every day of the episode
    on the assignee's list; a follow-up still due after the day's deadline is missed."""

    episode = models.ForeignKey(
        IsolationEpisode, on_delete=models.CASCADE, related_name="follow_ups"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    grid_code = models.CharField(max_length=15)
    date = models.DateField(_("date"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="isolation_follow_ups",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.DUE
    )
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date", "grid_code"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["episode", "date"], name="one_follow_up_per_day")
        ]
        indexes = [
            models.Index(fields=["assignee", "date", "status"], name="followup_assignee_day"),
            models.Index(
                fields=["grid_code", "date"],
                name="followup_grid_date",
                opclasses=[PATTERN, "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode_id} {self.date} {self.status}"
