"""Forms of the daily report pages: they parse; ``actions.reports`` decides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic import rules
from gridgov.epidemic.actions.reports import NOTE_LENGTH
from gridgov.epidemic.forms import DATE

STATUS_CHOICES = [
    ("", _("All grids")),
    ("missing", _("Not confirmed")),
    ("confirmed", _("Confirmed")),
    ("zero", _("Zero reports")),
    ("late", _("Confirmed late")),
]


class ConfirmForm(forms.Form):
    """Confirming a report: ``zero`` comes from the button pressed (a zero report is said
    explicitly), ``date`` and ``version`` from the page."""

    date = forms.DateField(widget=forms.HiddenInput)
    zero = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: anything the community should know about today."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def valid_data(form: forms.Form) -> dict[str, Any]:
    """The form's valid fields (a bad filter does not throw away the good ones)."""
    form.is_valid()
    return getattr(form, "cleaned_data", {})


def bound(form_class: type[forms.Form], query: Any, **defaults: Any) -> Any:
    """``form_class`` bound to the page's query with ``defaults`` for what it leaves out, so
    the form shows what the page shows (today, the trend's length…)."""
    data = query.copy()
    for name, value in defaults.items():
        if not data.get(name):
            data[name] = value
    return form_class(data)


def chosen_day(form: forms.Form) -> dt.date:
    """The day a filter form names, else today (site time)."""
    return valid_data(form).get("date") or rules.today()


class DayForm(forms.Form):
    date = forms.DateField(label=_("Day"), required=False, widget=DATE)

    def day(self) -> dt.date:
        return chosen_day(self)


class NodeForm(forms.Form):
    """A page about a territory node: ``code`` (empty: the user's own)."""

    code = forms.CharField(required=False, widget=forms.HiddenInput, max_length=15)

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "").strip()
        if code and not (code.isdigit() and len(code) in (4, 6, 9, 12, 15)):
            raise forms.ValidationError(_("A territory code has 4, 6, 9, 12 or 15 digits."))
        return code

    def bad_code(self) -> bool:
        """The code given is not a territory code at all (the page answers 404)."""
        return self.is_bound and not self.is_valid() and "code" in self.errors


class OverviewFilterForm(NodeForm, DayForm):
    status = forms.ChoiceField(label=_("Grids"), required=False, choices=STATUS_CHOICES)

    def value(self, name: str) -> Any:
        return valid_data(self).get(name) or ""


class HistoryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=pgettext_lazy("epidemic", "Reports"),
        required=False,
        choices=[("", _("All days")), *STATUS_CHOICES[2:]],
    )
