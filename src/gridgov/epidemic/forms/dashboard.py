"""The dashboard's choices: the day, the trend's length, the map's measure."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.epidemic.forms import DATE
from gridgov.epidemic.forms.reports import NodeForm, chosen_day, valid_data
from gridgov.epidemic.queries import dashboard as queries

TREND_CHOICES = [("14", _("14 days")), ("30", _("30 days"))]


class DashboardForm(NodeForm):
    date = forms.DateField(label=_("Day"), required=False, widget=DATE)
    days = forms.TypedChoiceField(
        label=_("Trend"), required=False, choices=TREND_CHOICES, coerce=int, empty_value=None
    )
    measure = forms.ChoiceField(
        label=_("Map shows"),
        required=False,
        choices=[(m.key, m.label) for m in queries.MAP_MEASURES],
    )

    def choices(self) -> dict[str, Any]:
        """What the board shows: code ("" = the user's own), day, days, measure."""
        data = valid_data(self)
        return {
            "code": data.get("code") or "",
            "day": chosen_day(self),
            "days": data.get("days") or queries.DEFAULT_DAYS,
            "measure": queries.map_measure(data.get("measure") or None),
        }
