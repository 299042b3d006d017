"""The auditor's filter form."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(
        label=pgettext_lazy("audit", "Action"),
        required=False,
        max_length=80,
        help_text=_("e.g. auth. or user.create"),
    )
    object = forms.CharField(
        label=_("Object"), required=False, max_length=200, help_text=_("Id or part of its name")
    )
    region = forms.CharField(
        label=_("Territory code"),
        required=False,
        max_length=15,
        help_text=_("Start of a code, e.g. 411302"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def search_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``queries.search_events``; both dates are whole local days."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "actor": data.get("actor", ""),
            "action": data.get("action", ""),
            "object_id": data.get("object", ""),
            "region": data.get("region", ""),
            "since": _day_start(data.get("since")),
            "until": _day_start(data["until"] + timedelta(days=1)) if data.get("until") else None,
        }


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))
