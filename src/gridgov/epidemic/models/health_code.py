"""Health codes (健康码): one current colour per person and every change of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import Colour


class CodeReason(models.TextChoices):
    FEVER = "fever", _("Fever declared")
    SYMPTOMS = "symptoms", _("Symptoms declared")
    CONTACT = "contact", _("Contact declared")
    RISK_TRAVEL = "risk_travel", _("Came from a risk area")
    NORMAL_DAYS = "normal_days", _("Consecutive normal declarations")
    DECISION = "decision", _("Staff decision")
    ISOLATION = "isolation", _("Isolation")
    CLOSE_CONTACT = "close_contact", _("Close contact")


class HealthCode(models.Model):
    """A person's current colour. No row means green (never anything else): most people
    never get one, so a normal declaration of a green person writes nothing here.

    ``count_from`` is the last day that does not count towards the return to green (the
    day the colour was set, or the last abnormal day); ``normal_days`` is the run of
    consecutive normal declaration days after it, ``required_days`` the run that turns
    the code green again (domain.md §5: 7 for yellow, 14 for red; configurable).
    """

    person = models.OneToOneField(
        "registry.Person", on_delete=models.CASCADE, related_name="health_code"
    )
    grid_code = models.CharField(_("grid code"), max_length=15)
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=CodeReason.choices)
    since = models.DateTimeField(_("since"), default=timezone.now)
    count_from = models.DateField(_("counting after"))
    normal_days = models.PositiveSmallIntegerField(_("normal days"), default=0)
    required_days = models.PositiveSmallIntegerField(_("normal days required"), default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("health code")
        verbose_name_plural = _("health codes")
        indexes = [models.Index(fields=["grid_code", "colour"], name="healthcode_grid_colour")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.colour}"


class HealthCodeChange(models.Model):
    """One change of a person's colour: the history a code page and an audit show."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="health_code_changes"
    )
    grid_code = models.CharField(max_length=15)
    date = models.DateField(_("date"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_colour = models.CharField(_("from"), max_length=8, choices=Colour.choices)
    to_colour = models.CharField(_("to"), max_length=8, choices=Colour.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=CodeReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declaration = models.ForeignKey(
        "epidemic.HealthDeclaration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("health code change")
        verbose_name_plural = _("health code changes")
        indexes = [
            models.Index(fields=["person", "at"], name="codechange_person_at"),
            models.Index(fields=["grid_code", "date"], name="codechange_grid_date"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.from_colour}→{self.to_colour}"
