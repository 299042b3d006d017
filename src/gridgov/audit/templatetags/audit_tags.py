"""Showing audit events: readable action names and changed fields."""

from __future__ import annotations

from typing import Any

from django import template

from gridgov.audit.labels import label_for

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return label_for(action)


@register.filter
def change_rows(changes: Any) -> list[dict[str, Any]]:
    """{field: [old, new]} pairs as old/new rows; any other value as a plain value."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            rows.append({"field": field, "old": value[0], "new": value[1], "pair": True})
        else:
            rows.append({"field": field, "value": value, "pair": False})
    return rows
