"""The inventory of public facilities (部件) a component case can be about."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ComponentState(models.TextChoices):
    INTACT = "intact", _("Intact")
    DAMAGED = "damaged", _("Damaged")
    LOST = "lost", _("Lost")
    OCCUPIED = "occupied", _("Occupied")


class Component(models.Model):
    """One facility. ``component_id`` is 16 digits: county code (6) + major class (2) +
    minor class (2) + serial (6), e.g. ``3205080101000001``.

    A facility that is taken away is *retired* (``retired_at``), never deleted: cases,
    photos and the audit trail keep pointing at it, and its ID is never handed out again.
    """

    component_id = models.CharField(_("component ID"), max_length=16, unique=True)
    case_class = models.ForeignKey(
        "cases.CaseClass",
        verbose_name=_("class"),
        on_delete=models.PROTECT,
        related_name="components",
    )
    name = models.CharField(_("name"), max_length=100)
    competent_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("competent department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.CharField(_("owner"), max_length=100, blank=True)
    maintainer = models.CharField(_("maintainer"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ComponentState.choices, default=ComponentState.INTACT
    )
    grid_code = models.CharField(_("grid code"), max_length=15, db_index=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    surveyed_on = models.DateField(_("surveyed on"), null=True, blank=True)
    changed_on = models.DateField(_("last changed on"), null=True, blank=True)
    data_source = models.CharField(_("data source"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_reason = models.CharField(_("reason for retiring"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["component_id"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        indexes = [
            models.Index(fields=["grid_code", "state"], name="component_grid_state"),
            # Counts per class and state under a territory node read this index only.
            models.Index(fields=["grid_code", "case_class", "state"], name="component_grid_class"),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.name}"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class ComponentCount(models.Model):
    """Roll-up: how many components in use of one class and state a grid has
    (architecture rule 4). Any node's counts are sums over a prefix of ``grid_code``;
    kept in the same transaction as every write that changes them."""

    grid_code = models.CharField(max_length=15)
    class_code = models.CharField(max_length=4)
    state = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("component count")
        constraints = [
            models.UniqueConstraint(
                fields=["grid_code", "class_code", "state"], name="component_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.class_code} {self.state}={self.n}"
