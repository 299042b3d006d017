"""Infection cases and close contacts: who is (suspected) ill, and who met whom.

``InfectionCase`` marks a registry person as a suspected, confirmed or asymptomatic case
(the community situation rules of domain.md §5 count them); ``CloseContact`` links a
person to the person they were exposed to, first or second degree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic.models.base import PATTERN, GridFact


class CaseKind(models.TextChoices):
    SUSPECTED = "suspected", _("Suspected case")
    CONFIRMED = "confirmed", _("Confirmed case")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("epidemic", "Open")
    EXCLUDED = "excluded", _("Excluded")
    RECOVERED = "recovered", _("Recovered")
    DIED = "died", _("Died")


class InfectionCase(GridFact):
    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="infection_cases"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    reported_on = models.DateField(_("reported on"))
    # The rules tell a cluster from community transmission by whether the source is known.
    source_known = models.BooleanField(_("source known"), default=False)
    source_note = models.CharField(_("source"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-reported_on", "-id"]
        verbose_name = _("infection case")
        verbose_name_plural = _("infection cases")
        indexes = [
            models.Index(
                fields=["grid_code", "reported_on"],
                name="infection_grid_day",
                opclasses=[PATTERN, "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


class ContactSource(models.TextChoices):
    SCREENING = "screening", _("Screening")
    TRACING = "tracing", _("Contact tracing")
    HEALTH_AUTHORITY = "health_authority", _("Health authority")
    IMPORT = "import", _("Imported list")


class ContactSetting(models.TextChoices):
    HOUSEHOLD = "household", _("Same household")
    WORK = "work", _("Work or school")
    TRANSPORT = "transport", _("Same transport")
    GATHERING = "gathering", _("Gathering")
    OTHER = "other", _("Other")


class CloseContact(models.Model):
    """``person`` was exposed to ``source`` (a case, or a first-degree contact for a
    second-degree one). ``grid_code`` is the exposed person's grid."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="exposures"
    )
    source = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    grid_code = models.CharField(_("grid code"), max_length=15)
    degree = models.PositiveSmallIntegerField(_("degree"), choices=[(1, "1"), (2, "2")])
    setting = models.CharField(
        _("where"), max_length=12, choices=ContactSetting.choices, blank=True
    )
    last_contact_date = models.DateField(_("last contact"), null=True, blank=True)
    origin = models.CharField(_("found by"), max_length=16, choices=ContactSource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["degree", "-last_contact_date", "id"]
        verbose_name = _("close contact")
        verbose_name_plural = _("close contacts")
        constraints = [
            models.UniqueConstraint(fields=["person", "source"], name="one_contact_link"),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("source")), name="contact_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["grid_code"], name="contact_grid", opclasses=[PATTERN]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}←{self.source_id} ({self.degree})"
