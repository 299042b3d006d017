"""Django admin for operators: audit events, strictly read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.audit.models import AuditEvent
from gridgov.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_name", "action", "object_repr", "grid_code", "channel")
    list_filter = ("action", "channel")
    search_fields = ("actor_name", "action", "object_repr", "object_id", "grid_code")
    date_hierarchy = "at"
    ordering = ("-seq",)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # not even "delete selected"
