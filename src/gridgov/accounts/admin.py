"""Django admin for operators: a read-only window on accounts.

Every change goes through the product's own pages or the CLI, which check scope and
write audit events; the admin therefore only shows.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.accounts.models import ApiToken, Department, GridAssignment, RoleAssignment, User
from gridgov.core.admin import ReadOnlyAdmin


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    fields = ("role", "scope_code", "department", "granted_at", "withdrawn_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = (
        "username",
        "display_name",
        "is_active",
        "is_superuser",
        "locked_until",
        "last_login",
    )
    list_filter = ("is_active", "is_superuser")
    search_fields = ("username", "display_name", "email")
    exclude = ("password", "groups", "user_permissions")
    inlines = [RoleAssignmentInline]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "region_code", "phone", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "region_code")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "scope_code", "department", "granted_at", "withdrawn_at")
    list_filter = ("role",)
    search_fields = ("user__username", "scope_code")
    list_select_related = ("user", "department")


@admin.register(GridAssignment)
class GridAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "grid_code", "is_deputy", "assigned_at", "withdrawn_at")
    search_fields = ("user__username", "grid_code")
    list_select_related = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    search_fields = ("prefix", "name", "user__username")
    exclude = ("token_hash",)
    list_select_related = ("user",)
