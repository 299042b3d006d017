"""Forms of the working calendar page: the working hours, one day of the holiday table,
the CSV import and the deadline calculator.

Forms check shape only; the actions in ``gridgov.cases.actions.calendar`` check meaning
and permission and name the field they refuse. Field names are the actions' keyword
arguments, so such a refusal lands on its field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.cases.models import TimeUnit

MAX_AMOUNT = 999


def _time(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class WorkingHoursForm(forms.Form):
    morning_start = _time(_("Morning starts"))
    morning_end = _time(_("Morning ends"))
    afternoon_start = _time(_("Afternoon starts"))
    afternoon_end = _time(_("Afternoon ends"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CalendarDayForm(forms.Form):
    """Add a date to the holiday table, or change its row (``version`` 0: a new row)."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("The day is"),
        choices=[("0", _("A day off (holiday)")), ("1", _("A working day"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=40,
        required=False,
        help_text=_("e.g. 春节, 国庆节调休上班"),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Where the ruling comes from, e.g. the State Council notice."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One day a line: date,is_workday,name — e.g. 2027-02-06,0,春节 or "
            "2027-02-14,1,春节调休上班. A header line is optional; UTF-8 or GB18030."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("Kept on every imported day, e.g. the notice's number."),
    )


class DeadlineForm(forms.Form):
    """The deadline calculator (a GET form)."""

    start = forms.DateTimeField(
        label=_("Start"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    amount = forms.IntegerField(label=_("Time limit"), min_value=0, max_value=MAX_AMOUNT)
    unit = forms.ChoiceField(label=pgettext_lazy("time limit", "Unit"), choices=TimeUnit.choices)
