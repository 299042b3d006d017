"""Forms of the isolation pages. They only parse; ``actions.isolation`` decides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic import rules
from gridgov.epidemic.forms import DATE, TEMPERATURE
from gridgov.epidemic.models import (
    FollowUpStatus,
    IsolationKind,
    IsolationReason,
    IsolationStatus,
    Symptom,
)
from gridgov.web.forms import FoldedFilters

CODE = forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "411302001"})


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", pgettext_lazy("filter", "Any")), *choices]


def _territory_code(value: str) -> str:
    code = (value or "").strip()
    if code and not (code.isdigit() and 4 <= len(code) <= 15):
        raise forms.ValidationError(_("A territory code has 4 to 15 digits."))
    return code


class EpisodeFilterForm(FoldedFilters):
    MORE = ("kind", "reason", "code")

    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=60)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(IsolationStatus.choices)
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_any(IsolationKind.choices))
    due = forms.BooleanField(label=_("Planned end reached"), required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=_any(IsolationReason.choices)
    )
    code = forms.CharField(label=_("Territory code"), required=False, max_length=15, widget=CODE)

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # People in isolation now, unless the status is chosen (empty: any status).
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = IsolationStatus.ACTIVE
        super().__init__(data, *args, **kwargs)

    def clean_code(self) -> str:
        return _territory_code(self.cleaned_data.get("code", ""))

    def criteria(self) -> dict[str, Any]:
        """The filters for ``queries.search_episodes`` (none of them when invalid)."""
        if not self.is_valid():
            return {"status": IsolationStatus.ACTIVE}
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "reason": data.get("reason") or "",
            "code": data.get("code") or "",
            "due": bool(data.get("due")),
        }


class PersonPickForm(forms.Form):
    q = forms.CharField(
        label=_("Who"),
        max_length=60,
        required=False,
        help_text=_("Part of the name, or the full ID or phone number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class StartForm(forms.Form):
    person_id = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=IsolationKind.choices, widget=forms.RadioSelect
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=IsolationReason.choices)
    place = forms.CharField(
        label=pgettext_lazy("isolation", "Place"),
        max_length=200,
        required=False,
        help_text=_("The isolation site for centralised isolation; empty: the home address."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    planned_end = forms.DateField(
        label=_("Planned end"),
        required=False,
        widget=DATE,
        help_text=_(
            "Empty: by the rules in force — 14 days for a close contact, a decision or a red "
            "code, 7 days otherwise."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def start(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ReleaseForm(forms.Form):
    note = forms.CharField(
        label=pgettext_lazy("epidemic", "Decision"),
        max_length=200,
        help_text=_("Who decided, and why (for example: negative test, health authority)."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ExtendForm(forms.Form):
    planned_end = forms.DateField(label=_("New planned end"), widget=DATE)
    note = forms.CharField(label=_("Reason"), max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class FollowUpForm(forms.Form):
    """The abnormal (or detailed) follow-up; the one-tap "normal" sends no field."""

    temperature = forms.DecimalField(
        label=_("Temperature (°C)"),
        required=False,
        max_digits=3,
        decimal_places=1,
        widget=TEMPERATURE,
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        required=False,
        choices=Symptom.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def follow_up(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "temperature": data.get("temperature"),
            "symptoms": list(data.get("symptoms") or []),
            "note": data.get("note") or "",
            "expected_version": data.get("version"),
        }


class FollowUpFilterForm(FoldedFilters):
    # On a phone only the name stays in view above the round.
    MORE = ("day", "status", "code")

    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=60)
    day = forms.DateField(label=_("Day"), required=False, widget=DATE)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(FollowUpStatus.choices)
    )
    code = forms.CharField(label=_("Territory code"), required=False, max_length=15, widget=CODE)

    def clean_code(self) -> str:
        return _territory_code(self.cleaned_data.get("code", ""))

    def chosen_day(self) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("day"):
            return min(self.cleaned_data["day"], rules.today())
        return rules.today()


class MissedFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("To"), required=False, widget=DATE)
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=60)
    code = forms.CharField(label=_("Territory code"), required=False, max_length=15, widget=CODE)

    def clean_code(self) -> str:
        return _territory_code(self.cleaned_data.get("code", ""))
