"""Daily grid reports (日报) and each community's situation (domain.md §5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import PATTERN


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")


class GridDailyReport(models.Model):
    """A grid's report of one day: ``figures`` assembled from the roll-ups, confirmed by
    the grid worker. A day with nothing to report is confirmed as a zero report
    (``is_zero``); a grid with no confirmed report by the deadline hour is missing."""

    grid_code = models.CharField(_("grid code"), max_length=15)
    date = models.DateField(_("date"))
    figures = models.JSONField(_("figures"), default=dict)
    is_zero = models.BooleanField(_("zero report"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    late = models.BooleanField(_("confirmed late"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-date", "grid_code"]
        verbose_name = _("daily grid report")
        verbose_name_plural = _("daily grid reports")
        constraints = [
            models.UniqueConstraint(fields=["grid_code", "date"], name="one_report_per_grid_day")
        ]
        indexes = [
            models.Index(
                fields=["date", "grid_code"],
                name="report_date_grid",
                opclasses=["date_ops", PATTERN],
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.date} {self.status}"


class Situation(models.TextChoices):
    NO_CASE = "no_case", _("No case")
    CLUSTER = "cluster", _("Cases or a cluster")
    TRANSMISSION = "transmission", _("Community transmission")


class CommunitySituation(models.Model):
    """A community's situation on one day, computed by the rules of domain.md §5 over the
    14 days up to it: no case; cases or a cluster (two or more cases in a small unit);
    community transmission (two or more cases of unknown source)."""

    community_code = models.CharField(_("community code"), max_length=12)
    date = models.DateField(_("date"))
    situation = models.CharField(_("situation"), max_length=12, choices=Situation.choices)
    cases_14d = models.PositiveIntegerField(default=0)
    unknown_source_14d = models.PositiveIntegerField(default=0)
    largest_unit_14d = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "community_code"]
        verbose_name = _("community situation")
        verbose_name_plural = _("community situations")
        constraints = [
            models.UniqueConstraint(
                fields=["community_code", "date"], name="one_situation_per_community_day"
            )
        ]
        # The dashboard reads one day of every community under a node.
        indexes = [
            models.Index(
                fields=["date", "community_code"],
                name="situation_date_community",
                opclasses=["date_ops", PATTERN],
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_code} {self.date} {self.situation}"
