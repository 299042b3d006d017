"""Forms of the case, contact and community-situation pages. They only parse; the
actions decide (``actions.contacts``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic.forms import DATE
from gridgov.epidemic.models import (
    CaseKind,
    CaseStatus,
    ContactSetting,
    ContactSource,
    IsolationKind,
    Situation,
)
from gridgov.web.forms import FoldedFilters

CODE = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
KNOWN = [("", _("Decide from the contact lists")), ("yes", _("Known")), ("no", _("Unknown"))]


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


def _territory_code(value: str, lengths: tuple[int, ...] = (4, 6, 9, 12, 15)) -> str:
    code = (value or "").strip()
    if code and not (code.isascii() and code.isdigit() and len(code) in lengths):
        raise forms.ValidationError(_("Not a territory code of this level."))
    return code


class PersonSearchForm(forms.Form):
    find = forms.CharField(
        label=_("Find a person"),
        max_length=60,
        required=False,
        help_text=_("Part of the name, or the full ID number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
    )


class CaseFilterForm(FoldedFilters):
    MORE = ("status", "date_from", "date_to", "code")

    q = forms.CharField(label=_("Name or ID number"), required=False, max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_any(CaseKind.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_any(CaseStatus.choices))
    date_from = forms.DateField(label=_("Reported from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Reported until"), required=False, widget=DATE)
    code = forms.CharField(label=_("Territory code"), required=False, max_length=15, widget=CODE)

    def clean_code(self) -> str:
        return _territory_code(self.cleaned_data.get("code", ""))


class CaseForm(forms.Form):
    """A new case of a person already chosen (``person_id``)."""

    person_id = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    reported_on = forms.DateField(label=pgettext_lazy("epidemic", "Reported on"), widget=DATE)
    source_known = forms.ChoiceField(
        label=_("Source of infection"),
        choices=KNOWN,
        required=False,
        help_text=_("Unknown sources decide community transmission."),
    )
    source_note = forms.CharField(label=_("About the source"), max_length=200, required=False)

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["source_known"] = {"yes": True, "no": False}.get(data.get("source_known") or "")
        return data


class CaseChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices)
    reported_on = forms.DateField(
        label=pgettext_lazy("epidemic", "Reported on"),
        widget=DATE,
        required=False,
        help_text=_("A new kind is a new report: empty means today."),
    )
    source_known = forms.ChoiceField(
        label=_("Source of infection"), choices=KNOWN[1:], required=False
    )
    source_note = forms.CharField(label=_("About the source"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def changes(self, case: Any) -> dict[str, Any]:
        """What the form changes of ``case`` (the report day only when typed anew)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["source_known"] = {"yes": True, "no": False}.get(data.get("source_known") or "")
        if data.get("reported_on") == case.reported_on:
            data.pop("reported_on")
        return {k: v for k, v in data.items() if v is not None}


class ContactForm(forms.Form):
    """List a chosen person (``person_id``) as exposed to the case or one of its
    first-degree contacts (``source_id``)."""

    person_id = forms.IntegerField(widget=forms.HiddenInput)
    source_id = forms.TypedChoiceField(label=_("Exposed to"), coerce=int)
    setting = forms.ChoiceField(
        label=_("Where exposed"), required=False, choices=[("", "—"), *ContactSetting.choices]
    )
    last_contact_date = forms.DateField(label=_("Last contact"), required=False, widget=DATE)
    origin = forms.ChoiceField(
        label=_("Found by"), choices=ContactSource.choices, initial=ContactSource.TRACING
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    isolate = forms.ChoiceField(
        label=_("Start isolation now"),
        required=False,
        choices=[("", _("No")), *IsolationKind.choices],
    )
    isolation_place = forms.CharField(
        label=_("Isolation site"),
        max_length=200,
        required=False,
        help_text=_("Required for centralised isolation; home isolation is at their address."),
    )

    def __init__(
        self, *args: Any, sources: list[tuple[int, str]], isolation: bool = False, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        cast(forms.TypedChoiceField, self.fields["source_id"]).choices = sources
        if not isolation:
            del self.fields["isolate"], self.fields["isolation_place"]


class UnlinkForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=200, required=False)


class ContactImportForm(forms.Form):
    file = forms.FileField(
        label=_("Contact list"),
        help_text=_("CSV (UTF-8, GBK or GB18030) or XLSX, one contact per row."),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding (CSV)"),
        choices=[("auto", _("Detect")), ("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")],
        initial="auto",
    )
    isolate = forms.ChoiceField(
        label=_("Start isolation of each contact linked"),
        required=False,
        choices=[("", _("No")), *IsolationKind.choices],
    )

    def __init__(self, *args: Any, isolation: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if not isolation:
            del self.fields["isolate"]


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], initial="xlsx"
    )
    reveal = forms.BooleanField(label=_("Full ID and phone numbers (audited)"), required=False)


class RegionExportForm(ExportForm):
    code = forms.CharField(label=_("Territory code"), max_length=15, widget=CODE)

    def clean_code(self) -> str:
        return _territory_code(self.cleaned_data.get("code", ""))


class SituationFilterForm(FoldedFilters):
    MORE = ("code", "day")

    situation = forms.ChoiceField(
        label=_("Situation"), required=False, choices=_any(Situation.choices)
    )
    q = forms.CharField(label=_("Community"), required=False, max_length=60)
    code = forms.CharField(label=_("Territory code"), required=False, max_length=12, widget=CODE)
    day = forms.DateField(label=_("Day"), required=False, widget=DATE)

    def clean_code(self) -> str:
        return _territory_code(self.cleaned_data.get("code", ""), (4, 6, 9, 12))
