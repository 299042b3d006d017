"""Forms of the epidemic pages. They only parse; the actions decide. The first concerns'
forms (risk areas, declarations, health codes, settings) are here; later concerns keep
theirs in ``forms/<concern>.py``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic import places, rules
from gridgov.epidemic.actions.health_code import SETTINGS_FIELDS
from gridgov.epidemic.models import Colour, EpidemicSettings, RiskLevel, Symptom

DATE = forms.DateInput(attrs={"type": "date"})
TEMPERATURE = forms.NumberInput(
    attrs={"step": "0.1", "min": "34", "max": "43", "inputmode": "decimal", "placeholder": "36.5"}
)


def new_client_key() -> str:
    """The idempotency key a form carries: sending the same form twice records once."""
    return uuid.uuid4().hex


# --- risk areas ---------------------------------------------------------------------------


class RiskAreaForm(forms.Form):
    division_code = forms.CharField(
        label=_("Division code"),
        max_length=12,
        help_text=_("Province 2, city 4, county 6, township 9 or village 12 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=pgettext_lazy("epidemic", "Place"),
        max_length=120,
        required=False,
        help_text=_("Leave empty to use the name from the national division table."),
    )
    level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_to = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DATE,
        help_text=_("The last day; empty while it is in force."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    region_code = forms.ChoiceField(label=_("Declared by"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, issuers: list[tuple[str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if issuers and len(issuers) > 1:
            cast(forms.ChoiceField, self.fields["region_code"]).choices = issuers
        else:
            del self.fields["region_code"]

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class RiskAreaEndForm(forms.Form):
    valid_to = forms.DateField(label=_("Last day"), widget=DATE)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RiskFilterForm(forms.Form):
    q = forms.CharField(label=_("Place or code"), required=False)
    level = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("Any")), *RiskLevel.choices]
    )
    on = forms.DateField(label=_("In force on"), required=False, widget=DATE)


class ArrivalsFilterForm(forms.Form):
    since = forms.DateField(label=_("Arrived since"), required=False, widget=DATE)
    code = forms.CharField(
        label=_("Territory code"),
        required=False,
        max_length=15,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "411302001"}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code", "").strip()
        if code and not (code.isdigit() and 4 <= len(code) <= 15):
            raise forms.ValidationError(_("A territory code has 4 to 15 digits."))
        return code


# --- declarations -------------------------------------------------------------------------


class DeclarationFields(forms.Form):
    """What a declaration asks, shared by the grid worker's and the resident's forms."""

    person_id = forms.IntegerField(widget=forms.HiddenInput)
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
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
    contact = forms.BooleanField(
        label=_("Contact with a confirmed or suspected case, or someone from a risk area"),
        required=False,
    )

    def declaration(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "person_id": data["person_id"],
            "client_key": data["client_key"],
            "temperature": data.get("temperature"),
            "symptoms": list(data.get("symptoms") or []),
            "contact": bool(data.get("contact")),
            "travel_code": data.get("travel_code") or "",
        }


class StaffDeclarationForm(DeclarationFields):
    travel_code = forms.CharField(
        label=_("Came from (division code)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def _travel_choices() -> list[Any]:
    return [("", _("Stayed in the city"))] + [
        (province, list(members)) for province, members in places.travel_choices()
    ]


class PublicDeclarationForm(DeclarationFields):
    travel_code = forms.ChoiceField(
        label=_("Since your last declaration, did you come back from another city?"),
        required=False,
        choices=_travel_choices,
    )


class IdentifyForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text=_("The resident ID number of any member of your household."),
    )


class SheetFilterForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=DATE)
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=60)

    def chosen_day(self) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("day"):
            return self.cleaned_data["day"]
        return rules.today()


# --- health codes -------------------------------------------------------------------------


class VerifyForm(forms.Form):
    token = forms.CharField(
        label=_("Code token"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Scan the code, or paste the text under it."),
    )


class CodeDecisionForm(forms.Form):
    colour = forms.ChoiceField(label=_("Colour"), choices=Colour.choices)
    note = forms.CharField(label=_("Reason"), max_length=200)
    hold = forms.BooleanField(
        label=_("Only a decision returns it to green"),
        required=False,
    )


class SettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = EpidemicSettings
        fields = list(SETTINGS_FIELDS)

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
