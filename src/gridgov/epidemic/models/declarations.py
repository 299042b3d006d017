"""Daily health declarations (每日健康申报) and the per-person-per-day state derived from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.models.base import PATTERN, GridFact


class DeclaredBy(models.TextChoices):
    SELF = "self", _("The person")
    HOUSEHOLD = "household", _("A household member")
    GRID_WORKER = "grid_worker", _("The grid worker")


class Channel(models.TextChoices):
    PUBLIC = "public", _("Public page")
    STAFF = "staff", _("Grid worker's page")
    API = "api", _("API")


class HealthDeclaration(GridFact):
    """One declaration, as received: append-only.

    ``client_key`` is chosen by the sender (a UUID the phone or page made) and unique: a
    declaration sent again — a retry after a lost answer — finds its first copy and is
    counted once. ``date`` is the day (in the site's time zone, Asia/Shanghai) of
    ``declared_at``. ``abnormal`` is fixed when received: temperature at or above the
    threshold in force, any symptom, or contact.
    """

    # No index of its own: ("person", "date") serves every look-up by person (a batch
    # writes a million rows a day; each index is a random insert per row).
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.CASCADE,
        related_name="health_declarations",
        db_index=False,
    )
    date = models.DateField(_("date"))
    declared_at = models.DateTimeField(_("declared at"))
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    # A division code (2–12 digits) the person came from or passed through since their
    # last declaration; empty: stayed in the city.
    travel_code = models.CharField(_("travelled from"), max_length=12, blank=True)
    travel_risk = models.CharField(_("risk level of the travel"), max_length=8, blank=True)
    contact = models.BooleanField(_("contact with a case or a risk area"), default=False)
    abnormal = models.BooleanField(_("abnormal"), default=False)
    declared_by = models.CharField(_("declared by"), max_length=12, choices=DeclaredBy.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Unique by a constraint, not ``unique=True``: on PostgreSQL that also builds a
    # pattern twin (LIKE 'x%') of the index, which nothing searches.
    client_key = models.CharField(_("client key"), max_length=64)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = _("health declaration")
        verbose_name_plural = _("health declarations")
        constraints = [models.UniqueConstraint(fields=["client_key"], name="declaration_key")]
        indexes = [
            models.Index(
                fields=["grid_code", "date"],
                name="declaration_grid_date",
                opclasses=[PATTERN, "date_ops"],
            ),
            models.Index(fields=["person", "date"], name="declaration_person_date"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date}"


class DeclarationDay(models.Model):
    """One person's day of declarations: how many, whether any was abnormal, the highest
    temperature. Kept by the same statement batch as the declarations (an upsert), it
    gives the roll-ups their distinct counts (people declared, people abnormal), the
    health code its run of normal days, and "who has not declared today" a cheap anti-join.
    """

    # Indexed by the unique ("person", "date") only.
    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    grid_code = models.CharField(max_length=15)
    declarations = models.PositiveIntegerField(default=0)
    abnormal_declarations = models.PositiveIntegerField(default=0)
    max_temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        verbose_name = _("declaration day")
        constraints = [
            models.UniqueConstraint(fields=["person", "date"], name="one_declaration_day")
        ]
        indexes = [
            models.Index(
                fields=["grid_code", "date"],
                name="declday_grid_date",
                opclasses=[PATTERN, "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date} ×{self.declarations}"

    @property
    def abnormal(self) -> bool:
        return self.abnormal_declarations > 0
