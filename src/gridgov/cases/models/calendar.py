"""The working calendar: working hours, and a holiday table that extends and overrides
the ``chinese-calendar`` package (which knows only the years it was released for)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkSchedule(models.Model):
    """The working hours of a working day, as a morning and an afternoon period.

    One row (pk 1) holds the schedule in force; it is created with the usual hours of a
    Chinese government office when first needed.
    """

    morning_start = models.TimeField(_("morning starts"), default=dt.time(8, 30))
    morning_end = models.TimeField(_("morning ends"), default=dt.time(12, 0))
    afternoon_start = models.TimeField(_("afternoon starts"), default=dt.time(14, 0))
    afternoon_end = models.TimeField(_("afternoon ends"), default=dt.time(17, 30))
    version = models.PositiveIntegerField(default=1)
    # Changed (to a fresh random value) by every change of the hours or the holiday table:
    # each process keeps the calendar in memory and reloads it when this differs.
    calendar_stamp = models.CharField(max_length=32, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(morning_start__lt=models.F("morning_end"))
                & models.Q(morning_end__lte=models.F("afternoon_start"))
                & models.Q(afternoon_start__lt=models.F("afternoon_end")),
                name="work_schedule_periods_in_order",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.morning_start:%H:%M}-{self.morning_end:%H:%M}, "
            f"{self.afternoon_start:%H:%M}-{self.afternoon_end:%H:%M}"
        )


class CalendarDay(models.Model):
    """An administrator's ruling on one date: a holiday, or an (adjusted) working day.

    A row here wins over ``chinese-calendar``; dates without a row follow the package,
    and beyond the years it knows, weekends only (with a warning shown to users).
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday table")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
