"""Forms of the evaluation pages: the node and period chooser, the settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.cases.actions.evaluation import GRADE_FIELDS, WEIGHT_GROUPS
from gridgov.cases.models import EvaluationSettings

PERIOD_CHOICES = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_year", _("This year")),
    ("custom", _("Custom")),
]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EvaluationFilterForm(forms.Form):
    """Which node and which period (GET). The dates are used with the custom period."""

    node = forms.ChoiceField(label=pgettext_lazy("region", "Area"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args: Any, nodes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].choices = nodes  # type: ignore[attr-defined]


class SettingsForm(forms.Form):
    """All settings at once, with the version they were read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    exclude_postponed = forms.BooleanField(
        label=_("Approved postponements leave the closure denominators"),
        required=False,
        help_text=_("A postponed case then counts neither as should-close nor as closed."),
    )
    basic_satisfaction_weight = forms.DecimalField(
        label=_("Weight of “basically satisfied”"),
        min_value=0,
        max_value=1,
        decimal_places=2,
        help_text=_("Satisfaction rate = (satisfied + weight × basically satisfied) ÷ rated."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for group in WEIGHT_GROUPS.values():
            for name in group:
                self.fields[name] = _whole_field(name)
        for name in GRADE_FIELDS:
            self.fields[name] = _whole_field(name)

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in the sections the page shows."""
        titles = {
            "disposal": _("Departments and regions"),
            "supervisor": _("Supervisors (grid workers)"),
            "dispatcher": _("Dispatchers"),
        }
        found = [
            (titles[key], [self[name] for name in names]) for key, names in WEIGHT_GROUPS.items()
        ]
        found.append((_("Grades"), [self[name] for name in GRADE_FIELDS]))
        found.append(
            (_("Counting"), [self["exclude_postponed"], self["basic_satisfaction_weight"]])
        )
        return found


def _whole_field(name: str) -> forms.IntegerField:
    model_field = EvaluationSettings._meta.get_field(name)
    return forms.IntegerField(
        label=getattr(model_field, "verbose_name", name),
        min_value=0,
        max_value=100,
    )
