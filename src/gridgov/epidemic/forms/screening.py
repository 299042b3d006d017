"""Forms of the screening pages. They only parse; the actions decide (and name the field
they refuse, which the pages put back on the form)."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic.actions.screening import (
    CAMPAIGN_FIELDS,
    CAMPAIGN_STATUS_LABELS,
    POINT_LABELS,
    TASK_STATUS_LABELS,
)
from gridgov.epidemic.forms import DATE, TEMPERATURE
from gridgov.epidemic.models import (
    TEN_POINTS,
    CampaignTarget,
    Health,
    Measure,
    TaskStatus,
    Transport,
)
from gridgov.registry.models import CareKind
from gridgov.web.forms import FoldedFilters

CODE = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


def _code_field(label: Any, required: bool = False, **kw: Any) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=15, widget=CODE, **kw)


def _clean_code(value: str) -> str:
    code = (value or "").strip()
    if code and not (code.isdigit() and 4 <= len(code) <= 15):
        raise forms.ValidationError(_("A territory code has 4 to 15 digits."))
    return code


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    region_code = _code_field(
        _("Territory"),
        help_text=_("City, county, township, community or grid code; empty: your own area."),
    )
    target = forms.ChoiceField(
        label=_("Who is screened"), choices=CampaignTarget.choices, widget=forms.RadioSelect
    )
    arrivals_since = forms.DateField(
        label=_("Arrived since"),
        required=False,
        widget=DATE,
        help_text=_("For arrivals from risk areas: the first day of arrival."),
    )
    care_kind = forms.ChoiceField(
        label=_("Care group"),
        required=False,
        choices=[("", "—"), *CareKind.choices],
        help_text=_("For a care group."),
    )
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DATE)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE)
    description = forms.CharField(
        label=pgettext_lazy("campaign", "Instructions"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, regions: list[tuple[str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if regions and len(regions) > 1:
            field = forms.ChoiceField(label=_("Territory"), choices=regions)
            self.fields["region_code"] = field
            self.order_fields(["name", "region_code"])

    def clean_region_code(self) -> str:
        return _clean_code(self.cleaned_data.get("region_code", ""))

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in CAMPAIGN_FIELDS}


class CampaignFilterForm(FoldedFilters):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *CAMPAIGN_STATUS_LABELS.items()],
    )
    code = _code_field(_("Territory code"))
    MORE = ("code",)

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data.get("code", ""))


class ListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File of ID numbers"),
        help_text=_(
            "CSV (UTF-8 or GBK) or XLSX with a column 公民身份号码; a column 姓名 is checked."
        ),
    )
    all_or_nothing = forms.BooleanField(label=_("Add nobody if any row is wrong"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


TASK_STATUSES = [
    ("todo", TASK_STATUS_LABELS[TaskStatus.OPEN]),
    (TaskStatus.DONE, TASK_STATUS_LABELS[TaskStatus.DONE]),
    (TaskStatus.UNREACHABLE, TASK_STATUS_LABELS[TaskStatus.UNREACHABLE]),
    ("all", _("All")),
]


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Show"), required=False, choices=TASK_STATUSES)
    q = forms.CharField(label=_("Name or address"), required=False, max_length=100)

    def criteria(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"status": data.get("status") or "todo", "q": data.get("q") or ""}


class RecordForm(forms.Form):
    """The screening record of domain.md §5: travel, health, measures, the ten points."""

    health = forms.ChoiceField(
        label=_("Health"), required=False, choices=Health.choices, widget=forms.RadioSelect
    )
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"),
        required=False,
        max_digits=3,
        decimal_places=1,
        widget=TEMPERATURE,
    )
    origin_code = forms.CharField(
        label=_("Came from (division code)"),
        required=False,
        max_length=12,
        widget=CODE,
        help_text=_("Empty if the person did not travel."),
    )
    places_passed = forms.CharField(label=_("Places passed"), required=False, max_length=300)
    arrival_date = forms.DateField(label=_("Arrival date"), required=False, widget=DATE)
    transport = forms.ChoiceField(
        label=_("Transport"), required=False, choices=[("", "—"), *Transport.choices]
    )
    transport_number = forms.CharField(
        label=_("Train, flight or plate number"), required=False, max_length=30
    )
    companions = forms.CharField(label=_("Travelling companions"), required=False, max_length=200)
    contact_history = forms.CharField(label=_("Contact history"), required=False, max_length=300)
    isolation_start = forms.DateField(label=_("Isolation start"), required=False, widget=DATE)
    measures = forms.MultipleChoiceField(
        label=_("Measures taken"),
        required=False,
        choices=Measure.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    measures_note = forms.CharField(label=_("Measures (note)"), required=False, max_length=200)
    family_note = forms.CharField(label=_("Family"), required=False, max_length=200)
    unclear_points = forms.MultipleChoiceField(
        label=_("Still unclear"),
        required=False,
        choices=[(point, POINT_LABELS[point]) for point in TEN_POINTS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick what you could not make clear; unanswered points count as unclear."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Made with the form: the same visit sent twice (a phone's second tap, a page sent
    # again after a lost answer) is recorded once.
    client_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client_key"].initial = str(uuid.uuid4())

    def answers(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return {k: v for k, v in data.items() if v not in (None, "")}


class UnreachableForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. knocked, nobody answered")}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RecordFilterForm(FoldedFilters):
    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=100)
    day = forms.DateField(label=_("Screened on"), required=False, widget=DATE)
    unclear = forms.ChoiceField(
        label=_("Ten points"),
        required=False,
        choices=[("", _("Any")), ("1", _("Still unclear")), ("0", _("All clear"))],
    )
    health = forms.ChoiceField(
        label=_("Health"), required=False, choices=[("", _("Any")), *Health.choices]
    )
    code = _code_field(_("Territory code"))
    campaign = forms.TypedChoiceField(
        label=_("Campaign"), required=False, coerce=int, empty_value=None
    )
    MORE = ("health", "code", "campaign")

    def __init__(self, *args: Any, campaigns: list[tuple[int, str]] = (), **kw: Any):  # type: ignore[assignment]
        super().__init__(*args, **kw)
        field = cast(forms.TypedChoiceField, self.fields["campaign"])
        field.choices = [("", _("Any")), *campaigns]

    def clean_code(self) -> str:
        return _clean_code(self.cleaned_data.get("code", ""))

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q") or "",
            "day": data.get("day"),
            "unclear": {"1": True, "0": False}.get(data.get("unclear") or ""),
            "health": data.get("health") or "",
            "code": data.get("code") or "",
            "campaign_id": data.get("campaign"),
        }
