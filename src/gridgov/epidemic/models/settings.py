"""The epidemic rules in force (one row, pk 1): configurable by the city (domain.md §5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import Colour


class EpidemicSettings(models.Model):
    """Thresholds and rules. Read through ``queries.rules()`` (defaults when no row);
    changed only through ``actions.update_settings`` (audited, version-checked)."""

    fever_threshold = models.DecimalField(
        _("fever threshold (°C)"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("37.3"),
        validators=[MinValueValidator(Decimal("36.0")), MaxValueValidator(Decimal("40.0"))],
    )
    # The colour each kind of declaration turns a code to (never lowers one).
    symptom_colour = models.CharField(
        _("colour for fever or symptoms"), max_length=8, choices=Colour.choices, default="yellow"
    )
    contact_colour = models.CharField(
        _("colour for declared contact"), max_length=8, choices=Colour.choices, default="red"
    )
    medium_risk_colour = models.CharField(
        _("colour after a medium-risk area"), max_length=8, choices=Colour.choices, default="yellow"
    )
    high_risk_colour = models.CharField(
        _("colour after a high-risk area"), max_length=8, choices=Colour.choices, default="red"
    )
    yellow_normal_days = models.PositiveSmallIntegerField(
        _("normal days from yellow to green"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    red_normal_days = models.PositiveSmallIntegerField(
        _("normal days from red to green"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # Hour of the day (site time) by which every grid's daily report must be confirmed.
    report_deadline_hour = models.PositiveSmallIntegerField(
        _("daily report due by (hour)"),
        default=10,
        validators=[MaxValueValidator(23)],
    )
    # Hour of the day by which the day's isolation follow-ups must be done.
    follow_up_deadline_hour = models.PositiveSmallIntegerField(
        _("follow-ups due by (hour)"),
        default=20,
        validators=[MaxValueValidator(23)],
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("epidemic settings")

    def __str__(self) -> str:
        return "epidemic settings"

    @classmethod
    def current(cls) -> EpidemicSettings:
        """The rules in force: the stored row, else the defaults."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def required_days(self, colour: str) -> int:
        """Consecutive normal days that bring ``colour`` back to green (0 for green)."""
        return {
            Colour.YELLOW: self.yellow_normal_days,
            Colour.RED: self.red_normal_days,
        }.get(Colour(colour), 0)
