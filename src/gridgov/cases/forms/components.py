"""Forms of the component pages. They check shape (lengths, dates, choices); the actions
check meaning and permission and name the field when they refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.cases.importers.components import FIELDS
from gridgov.cases.models import CaseClass, CaseKind, ComponentState
from gridgov.registry.forms import ImportForm
from gridgov.web.forms import FoldedFilters

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
RETIRED_CHOICES = [("", _("In use")), ("yes", _("Retired")), ("all", _("All"))]


def _code(label: Any, max_length: int, **options: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs=NUMERIC),
        **{"required": False, **options},
    )


def _coordinate(label: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )


def component_classes() -> Any:
    return (
        CaseClass.objects.filter(kind=CaseKind.COMPONENT, parent__isnull=False, is_active=True)
        .select_related("parent")
        .order_by("code")
    )


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.parent.name if obj.parent else ''} / {obj.name}"


def class_filter_choices() -> list[tuple[str, str]]:
    """Every major class, then its minors indented (a major filters all its minors)."""
    choices: list[tuple[str, str]] = [("", str(_("All classes")))]
    majors = CaseClass.objects.filter(kind=CaseKind.COMPONENT, parent__isnull=True).order_by("code")
    minors: dict[int | None, list[CaseClass]] = {}
    for minor in component_classes():
        minors.setdefault(minor.parent_id, []).append(minor)
    for major in majors:
        choices.append((major.code, f"{major.code} {major.name}"))
        choices.extend((m.code, f"\u2003{m.code} {m.name}") for m in minors.get(major.pk, []))
    return choices


class ComponentFilterForm(FoldedFilters):
    """The search and the state in view; class, area, department and retired folded on a
    phone (the counts per state above the list filter by state too)."""

    MORE = ("class_code", "code", "department", "retired")

    q = forms.CharField(
        label=_("ID or name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Start of the ID, or part of the name")}
        ),
    )
    class_code = forms.ChoiceField(label=_("Class"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *ComponentState.choices]
    )
    code = _code(_("Region or grid code"), 15)
    department = forms.ModelChoiceField(
        label=_("Competent department"),
        required=False,
        queryset=Department.objects.filter(is_active=True).order_by("region_code", "name"),
        empty_label=_("All departments"),
    )
    retired = forms.ChoiceField(label=_("Retired"), required=False, choices=RETIRED_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["class_code"].choices = class_filter_choices()  # type: ignore[attr-defined]

    def criteria(self) -> dict[str, Any]:
        """The query's filters (an invalid form filters nothing)."""
        data = self.cleaned_data if self.is_valid() else {}
        department = data.get("department")
        return {
            "q": data.get("q", ""),
            "class_code": data.get("class_code", ""),
            "state": data.get("state", ""),
            "code": data.get("code", ""),
            "department": department.pk if department else None,
            "retired": {"": False, "yes": True}.get(data.get("retired", "")),
        }


# The component's own fields, shared by the create and the edit form.
DESCRIPTIVE = [
    "name",
    "competent_department",
    "owner",
    "maintainer",
    "surveyed_on",
    "data_source",
    "note",
]
LOCATION = ["grid_code", "lon", "lat"]


class ComponentForm(forms.Form):
    """Create (with class, optional ID and state) or edit (``editing=True``: the class and
    ID are part of the component, the state has its own form)."""

    case_class = ClassChoiceField(label=_("Class"), queryset=component_classes())
    component_id = _code(
        _("Component ID"),
        16,
        help_text=_("Leave empty to number it automatically (county + class + serial)."),
    )
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. 上水井盖"))
    state = forms.ChoiceField(label=_("State"), choices=ComponentState.choices)
    competent_department = forms.ModelChoiceField(
        label=_("Competent department"),
        required=False,
        queryset=Department.objects.filter(is_active=True).order_by("region_code", "name"),
    )
    owner = forms.CharField(label=_("Owner"), max_length=100, required=False)
    maintainer = forms.CharField(label=_("Maintainer"), max_length=100, required=False)
    surveyed_on = forms.DateField(
        label=_("Surveyed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    data_source = forms.CharField(
        label=_("Data source"), max_length=100, required=False, help_text=_("e.g. 2024年部件普查")
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    grid_code = _code(
        _("Unit grid code"), 15, help_text=_("Leave empty to locate the grid from the coordinates.")
    )
    lon = _coordinate(_("Longitude"))
    lat = _coordinate(_("Latitude"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    field_order = ["case_class", "component_id", "name", "state", *DESCRIPTIVE, *LOCATION]

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            for name in ("case_class", "component_id", "state"):
                del self.fields[name]

    def changes(self, current: dict[str, Any] | None = None) -> dict[str, Any]:
        """The values for the action: all of them on create, the changed ones on edit."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for text in ("owner", "maintainer", "data_source", "note", "component_id", "grid_code"):
            if text in data and data[text] is None:
                data[text] = ""
        if current is None:
            return data
        return {k: v for k, v in data.items() if current.get(k) != v}


class StateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=ComponentState.choices)
    changed_on = forms.DateField(
        label=_("As of"),
        required=False,
        help_text=_("Today when left empty."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(label=_("What was seen"), max_length=200, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RetireForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, help_text=_("e.g. removed in the road works of 2024")
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"})
    )


class ComponentImportForm(ImportForm):
    """The registry's import form with the component's wording and GeoJSON allowed."""

    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8, GBK or GB18030) or XLSX with headers in the first row, or GeoJSON."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.geojson,.json"}),
    )
    mode = forms.ChoiceField(
        label=_("A component already registered (same component ID)"),
        choices=[
            ("create", _("Refuse the row")),
            ("update", _("Update the component")),
            ("skip", _("Skip the row")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, fields=FIELDS, **kwargs)


class ComponentExportForm(forms.Form):
    code = forms.CharField(
        label=_("Region or grid code"), max_length=15, widget=forms.TextInput(attrs=NUMERIC)
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("xlsx", _("Excel (XLSX)")), ("csv", "CSV (UTF-8)"), ("geojson", "GeoJSON")],
    )
    class_code = forms.ChoiceField(label=_("Class"), required=False)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *ComponentState.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["class_code"].choices = class_filter_choices()  # type: ignore[attr-defined]
