"""Forms of the catalogue pages: the class filters and editor, the responsibility list's
filters and editor, its import, and the "who is responsible?" tester.

Forms check shape only; the actions check meaning and permission. Fields are named after
the actions' keyword arguments, so a refusal naming a field lands on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.cases.models import CaseClass, CaseKind, TimeUnit
from gridgov.cases.queries import catalogue as queries
from gridgov.registry import forms as registry_forms
from gridgov.web.forms import FoldedFilters

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
KIND_CHOICES = [("", _("Components and events")), *CaseKind.choices]


def class_options(classes: Iterable[CaseClass]) -> list[tuple[Any, Any]]:
    """Minor classes under their majors as ``<optgroup>``s ("部件 · 01 公用设施"), which a
    phone's native picker shows without any script; inactive ones are marked."""
    options: list[tuple[Any, Any]] = []
    for node in queries.class_tree(classes):
        major = node.major
        label = f"{major.get_kind_display()} · {major.code} {major.name}"
        options.append((label, [(str(minor.pk), _minor_label(minor)) for minor in node.minors]))
    return options


def _minor_label(minor: CaseClass) -> str:
    label = f"{minor.service_code} {minor.name}"
    return label if minor.is_active else f"{label} ({_('inactive')})"


def department_options(departments: Iterable[Department]) -> list[tuple[str, str]]:
    return [(str(d.pk), f"{d.name} ({d.region_code})") for d in departments]


# --- classes ----------------------------------------------------------------------------


class ClassFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=KIND_CHOICES)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("All")),
            ("active", _("In use")),
            ("inactive", _("Deactivated")),
        ],
    )

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        state = data.get("state") or ""
        return {
            "q": data.get("q") or "",
            "kind": data.get("kind") or "",
            "active": {"active": True, "inactive": False}.get(state),
        }


class AttributesField(forms.CharField):
    """The Open311 attributes as JSON text; the action checks their shape."""

    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "gg-code"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=2) if value else ""
        return value

    def clean(self, value: Any) -> list[Any]:
        text = super().clean(value)
        if not text.strip():
            return []
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("A JSON list of attributes: [ {…}, {…} ]"))
        return parsed


class ClassForm(forms.Form):
    """A class's editable fields; ``kind`` and ``code`` only when creating."""

    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    code = forms.CharField(
        label=_("Code"),
        max_length=4,
        help_text=_("2 digits for a major class; 4 for a minor class, starting with its major's."),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    filing_condition = forms.CharField(
        label=_("Filing condition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("When a report of this class is filed as a case (立案条件)."),
    )
    limit_value = forms.IntegerField(
        label=_("Disposal time limit"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    limit_unit = forms.ChoiceField(
        label=_("Time limit unit"),
        required=False,
        choices=[("", "—"), *TimeUnit.choices],
        help_text=_(
            "Urgent hours run day and night; working hours and working days follow the "
            "working calendar."
        ),
    )
    closing_condition = forms.CharField(
        label=_("Closing condition"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the on-site check must find before the case is closed (结案条件)."),
    )
    default_department = forms.ChoiceField(
        label=_("Default department"),
        required=False,
        help_text=_(
            "Takes the case where the responsibility list has no row, if it serves the place."
        ),
    )
    attributes = AttributesField(
        label=_("Report attributes (Open311)"),
        required=False,
        help_text=_(
            'Extra questions asked when reporting, as JSON: [{"code": "situation", '
            '"description": "…", "datatype": "singlevaluelist", "required": true, '
            '"values": [{"key": "missing", "name": "…", "limit_value": 2, '
            '"limit_unit": "urgent_hours"}]}]. A value with its own limit overrides '
            "the class's."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        departments: Iterable[Department] = (),
        case_class: CaseClass | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_department"].choices = [  # type: ignore[attr-defined]
            ("", _("None")),
            *department_options(departments),
        ]
        if case_class is not None:
            del self.fields["kind"], self.fields["code"]
            if not case_class.is_minor:
                for name in ("limit_value", "limit_unit", "default_department", "attributes"):
                    del self.fields[name]

    def changes(self) -> dict[str, Any]:
        """The action's keyword arguments (without ``version``)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if "default_department" in data:
            data["default_department_id"] = data.pop("default_department") or None
        return data


# --- responsibilities -------------------------------------------------------------------


class ResponsibilityFilterForm(FoldedFilters):
    """The search in view; class, place, department, kind and state folded on a phone."""

    MORE = ("case_class", "region_code", "department", "kind", "state")

    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    case_class = forms.ChoiceField(label=_("Class"), required=False)
    region_code = forms.CharField(
        label=_("Territory"),
        required=False,
        max_length=15,
        widget=forms.TextInput(attrs={**NUMERIC, "placeholder": "411302"}),
    )
    department = forms.ChoiceField(label=_("Department"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=KIND_CHOICES)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("active", _("In force")), ("removed", _("Removed")), ("all", _("All"))],
    )

    def __init__(
        self,
        *args: Any,
        classes: Iterable[CaseClass] = (),
        departments: Iterable[Department] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_class"].choices = [  # type: ignore[attr-defined]
            ("", _("All classes")),
            *class_options(classes),
        ]
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("All departments")),
            *department_options(departments),
        ]

    def clean_region_code(self) -> str:
        code = self.cleaned_data["region_code"].strip()
        if code and not (code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("Digits only."))
        return code

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q") or "",
            "case_class": int(data["case_class"]) if data.get("case_class") else None,
            "region_code": data.get("region_code") or "",
            "department": int(data["department"]) if data.get("department") else None,
            "kind": data.get("kind") or "",
            "state": data.get("state") or "active",
        }


class ResponsibilityForm(forms.Form):
    """A new row: class, place, department (``editing``: department and note only)."""

    case_class = forms.ChoiceField(label=_("Class"))
    region_code = forms.CharField(
        label=_("Territory code"),
        max_length=15,
        help_text=_(
            "The city, a county, township, community or grid inside your area; the row "
            "applies there and everywhere inside without a more specific row."
        ),
        widget=forms.TextInput(attrs=NUMERIC),
    )
    department = forms.ChoiceField(label=_("Responsible department"))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        classes: Iterable[CaseClass] = (),
        departments: Iterable[Department] = (),
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a department")),
            *department_options(departments),
        ]
        if editing:
            del self.fields["case_class"], self.fields["region_code"]
        else:
            self.fields["case_class"].choices = [  # type: ignore[attr-defined]
                ("", _("Choose a class")),
                *class_options(classes),
            ]

    def changes(self) -> dict[str, Any]:
        """The action's keyword arguments (``…_id`` for the picked rows, no version)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        for name in ("case_class", "department"):
            if name in data:
                data[f"{name}_id"] = data.pop(name)
        return data


class ImportForm(registry_forms.ImportForm):
    """The import framework's upload form with what a responsibility list needs: the
    file, the policy for wrong rows and a CSV's encoding."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK) or XLSX with the export's columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("mode", "scope_code", "mapping"):
            del self.fields[name]
        self.fields["encoding"].required = False  # detected unless chosen


class MatchForm(forms.Form):
    case_class = forms.ChoiceField(label=_("Class"))
    grid_code = forms.CharField(
        label=_("Grid or territory code"),
        max_length=15,
        min_length=4,
        widget=forms.TextInput(attrs=NUMERIC),
    )

    def __init__(self, *args: Any, classes: Iterable[CaseClass] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_class"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a class")),
            *class_options(classes),
        ]
