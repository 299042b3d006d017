"""Users, departments, role assignments bound to a scope, grid assignments, API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Role
from gridgov.core.querysets import WithdrawableQuerySet


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("failed logins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_failed_login = models.DateTimeField(null=True, blank=True)
    # Bumped by every administrative edit so a stale form cannot overwrite a newer change.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class Department(models.Model):
    """A professional department that disposes of cases, serving a territory node."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("territory served"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    region_code = models.CharField(max_length=15, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["region_code", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.region_code = self.region.code
        super().save(*args, **kwargs)


class RoleAssignment(models.Model):
    """A role held by a user over a territory node or a department.

    Withdrawn assignments stay as history (``withdrawn_at``) instead of being deleted.
    ``scope_code`` is the territory code the role reaches: the node's code, or the
    code of the territory the department serves.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    scope_code = models.CharField(max_length=15, db_index=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WithdrawableQuerySet["RoleAssignment"].as_manager()

    class Meta:
        ordering = ["user_id", "role", "scope_code"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=False) | models.Q(department__isnull=False),
                name="role_assignment_has_scope",
            ),
            # The same role is held once over the same place (or department) at a time.
            models.UniqueConstraint(
                fields=["user", "role", "scope_code"],
                condition=models.Q(withdrawn_at__isnull=True, department__isnull=True),
                name="one_active_role_per_place",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(withdrawn_at__isnull=True, department__isnull=False),
                name="one_active_role_per_department",
            ),
        ]

    def __str__(self) -> str:
        where = self.department or self.region
        return f"{self.get_role_display()} @ {where}"


class GridAssignment(models.Model):
    """A grid worker covering a unit grid; one worker may cover several grids and a grid
    may have a deputy besides its main worker."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grid_assignments")
    grid = models.ForeignKey(
        "territory.Region", on_delete=models.PROTECT, related_name="grid_assignments"
    )
    grid_code = models.CharField(max_length=15, db_index=True)
    is_deputy = models.BooleanField(_("deputy"), default=False)
    assigned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WithdrawableQuerySet["GridAssignment"].as_manager()

    class Meta:
        ordering = ["grid_code", "is_deputy"]
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "grid"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_active_assignment_per_user_grid",
            ),
            # At most one main worker and one deputy per grid at any time.
            models.UniqueConstraint(
                fields=["grid", "is_deputy"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_active_main_and_deputy_per_grid",
            ),
        ]

    def __str__(self) -> str:
        role = _("deputy") if self.is_deputy else _("main worker")
        return f"{self.user} @ {self.grid_code} ({role})"


class ApiToken(models.Model):
    """A bearer token for API clients. Only a SHA-256 of the secret is stored; the
    ``prefix`` (first characters, shown to people) finds the row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
