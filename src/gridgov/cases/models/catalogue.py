"""Component and event classes (GB/T 30428.2 lineage) and the responsibility list."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    COMPONENT = "component", _("Component")  # 部件: a public facility is at fault
    EVENT = "event", _("Event")  # 事件: something happened


class TimeUnit(models.TextChoices):
    URGENT_HOURS = "urgent_hours", _("Urgent hours")  # the clock always runs
    WORKING_HOURS = "working_hours", _("Working hours")
    WORKING_DAYS = "working_days", _("Working days")


class CaseClass(models.Model):
    """A major class (two-digit ``code``) or a minor class (four digits: major + minor).

    Only minor classes carry the filing condition, the disposal time limit and the closing
    condition; a case is always of a minor class. ``service_code`` (``C0101`` for the
    component class 01/01, ``E0101`` for the event class) names it in Open311.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=CaseKind.choices)
    code = models.CharField(_("code"), max_length=4)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="minors",
    )
    name = models.CharField(_("name"), max_length=60)
    filing_condition = models.TextField(_("filing condition"), blank=True)
    closing_condition = models.TextField(_("closing condition"), blank=True)
    limit_value = models.PositiveIntegerField(_("disposal time limit"), null=True, blank=True)
    limit_unit = models.CharField(
        _("time limit unit"), max_length=16, choices=TimeUnit.choices, blank=True
    )
    default_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Extra questions asked when reporting (Open311 service attributes): a list of
    # {"code", "description", "datatype", "required", "values": [{"key", "name"}]}.
    attributes = models.JSONField(_("report attributes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("case class")
        verbose_name_plural = _("case classes")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="one_case_class_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_minor(self) -> bool:
        return len(self.code) == 4

    @property
    def service_code(self) -> str:
        return ("C" if self.kind == CaseKind.COMPONENT else "E") + self.code


class Responsibility(models.Model):
    """权责清单: who disposes of a class of case in a territory node.

    For a case in grid G of class K the active row of class K whose ``region_code`` is the
    longest prefix of G wins; with no match the case waits, visibly, in the command
    centre's unassigned queue.
    """

    case_class = models.ForeignKey(
        CaseClass,
        verbose_name=_("case class"),
        on_delete=models.CASCADE,
        related_name="responsibilities",
    )
    region_code = models.CharField(_("territory code"), max_length=15)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case_class_id", "region_code"]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibility list")
        constraints = [
            models.UniqueConstraint(
                fields=["case_class", "region_code"],
                condition=models.Q(is_active=True),
                name="one_active_responsibility_per_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_class} @ {self.region_code} → {self.department}"
