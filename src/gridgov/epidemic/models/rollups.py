"""Roll-ups of the epidemic (architecture rule 4): what dashboards and daily reports read.

``DailyCount`` holds per grid, per day, per measure the day's figures (``rollups`` lists
the measures); ``CurrentCount`` per grid the standing figures (codes by colour, people in
isolation). Any level's figure is a sum over a prefix of ``grid_code``; both are kept in
the transaction of the write that changes them, and ``gridgov epidemic recount`` rebuilds
them from the rows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import PATTERN


class DailyCount(models.Model):
    grid_code = models.CharField(max_length=15)
    date = models.DateField()
    measure = models.CharField(max_length=40)
    value = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("epidemic daily count")
        constraints = [
            models.UniqueConstraint(
                fields=["grid_code", "date", "measure"], name="epidemic_daily_count_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["date", "grid_code"],
                name="epidemic_daily_date_grid",
                opclasses=["date_ops", PATTERN],
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.date} {self.measure}={self.value}"


class CurrentCount(models.Model):
    grid_code = models.CharField(max_length=15)
    measure = models.CharField(max_length=40)
    value = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("epidemic current count")
        constraints = [
            models.UniqueConstraint(fields=["grid_code", "measure"], name="epidemic_current_key")
        ]
        indexes = [
            models.Index(fields=["grid_code"], name="epidemic_current_grid", opclasses=[PATTERN])
        ]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.measure}={self.value}"
