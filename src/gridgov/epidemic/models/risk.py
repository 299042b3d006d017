"""Risk areas: places anywhere in China declared low, medium or high risk for a period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import PATTERN, RegionScoped


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


RISK_RANK = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 3}


class RiskArea(RegionScoped):
    """A division code of any level (2 province … 12 village) anywhere in China, at one risk
    level from ``valid_from`` to ``valid_to`` (both inclusive; open-ended while empty).

    A place lies in the area when the area's code is a prefix of the place's division
    code. ``region_code`` is the city or county that declared it (whose staff may change
    or end it); the area itself applies to every arrival in the city.
    """

    division_code = models.CharField(_("division code"), max_length=12)
    name = models.CharField(_("place"), max_length=120)
    level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from", "division_code"]
        verbose_name = _("risk area")
        verbose_name_plural = _("risk areas")
        indexes = [
            models.Index(fields=["division_code"], name="risk_code", opclasses=[PATTERN]),
            models.Index(fields=["region_code"], name="risk_region", opclasses=[PATTERN]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="risk_area_period_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.division_code}) {self.get_level_display()}"
