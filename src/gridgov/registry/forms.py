"""Forms of the registry pages. They check shape (lengths, dates, choices); the actions check
meaning and permission and name the field when they refuse (``viewutils.run_action`` puts
that message on the field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.registry import actions, shaping
from gridgov.registry.models import (
    CareKind,
    MovementKind,
    PersonStatus,
    Relation,
    ResidenceType,
    Sex,
)

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
DIVISION_HELP = _("A division code of 6, 9 or 12 digits anywhere in China.")

# The stored values are the standard Chinese words; the labels follow the page's language.
DISABILITY_CATEGORY_LABELS = {
    "视力": _("Visual"),
    "听力": _("Hearing"),
    "言语": _("Speech"),
    "肢体": _("Physical"),
    "智力": _("Intellectual"),
    "精神": _("Mental"),
    "多重": _("Multiple"),
}
DISABILITY_LEVEL_LABELS = {
    "一级": _("Level 1 (most severe)"),
    "二级": _("Level 2"),
    "三级": _("Level 3"),
    "四级": _("Level 4"),
}


def disability_label(value: str) -> Any:
    """A disability category or level in the page's language (the value if unknown)."""
    return DISABILITY_CATEGORY_LABELS.get(value) or DISABILITY_LEVEL_LABELS.get(value) or value


def _any(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _date_field(label: Any, **options: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **options)


def _code_field(label: Any, max_length: int, **options: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs=NUMERIC),
        **{"required": False, **options},
    )


def _record_number(label: Any, help_text: Any) -> forms.IntegerField:
    """The number of another record (shown on its page), e.g. a household's building."""
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _id_number_field(**options: Any) -> forms.CharField:
    return forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        **options,
    )


def _phone_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


def _coordinate(label: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label, required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


# The fields of ``LocatedForm``, shown after a record's own fields.
LOCATION = ["grid_code", "lon", "lat"]


class LocatedForm(forms.Form):
    """Where a building, household or person is: a grid code, or coordinates the grid is
    found from (leave both empty on a household or person to take their household's)."""

    grid_code = _code_field(
        _("Unit grid code"),
        15,
        help_text=_("Leave empty to locate the grid from the coordinates."),
    )
    lon = _coordinate(_("Longitude"))
    lat = _coordinate(_("Latitude"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def changes(self, initial: dict[str, Any] | None = None) -> dict[str, Any]:
        """The cleaned values, without the version, and when editing only those that
        differ from ``initial`` (so the action audits exactly what changed)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if initial is None:
            return data
        return {k: v for k, v in data.items() if v != initial.get(k)}


# --- filters ------------------------------------------------------------------------------


class PersonFilterForm(forms.Form):
    """The people list's filters, sent by GET (bookmarkable, paged). Numbers are not among
    them: see ``NumberSearchForm``."""

    q = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=60)
    address = forms.CharField(label=_("Address"), required=False, max_length=100)
    grid = _code_field(_("Region or grid code"), 15, help_text=_("Start of a code"))
    tag = forms.ChoiceField(
        label=_("Care group"), required=False, choices=_any(_("Any"), CareKind.choices)
    )
    residence_type = forms.ChoiceField(
        label=_("Residence type"), required=False, choices=_any(_("Any"), ResidenceType.choices)
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(_("Any"), PersonStatus.choices)
    )
    age_band = forms.ChoiceField(label=_("Age"), required=False)

    ADVANCED = ("address", "grid", "tag", "residence_type", "status", "age_band")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["age_band"].choices = _any(_("Any"), shaping.age_band_choices())  # type: ignore[attr-defined]

    def criteria(self) -> dict[str, str]:
        """The filters as ``queries.search_people`` takes them ({} when invalid)."""
        if not self.is_valid():
            return {}
        return {name: str(value or "") for name, value in self.cleaned_data.items()}

    def advanced_used(self) -> bool:
        return any(self.data.get(name) for name in self.ADVANCED)

    def advanced_fields(self) -> list[forms.BoundField]:
        """The filters behind "More filters" (the name search stays in view)."""
        return [self[name] for name in self.ADVANCED]


class NumberSearchForm(forms.Form):
    """Exact search by ID or phone number, sent by POST so that a full number never lands
    in an address, the browser's history or a server log."""

    id_number = _id_number_field()
    phone = _phone_field(_("Phone"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("id_number") or data.get("phone")):
            raise forms.ValidationError(_("Enter a full ID number or phone number."))
        return data

    def criteria(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: str(value or "") for name, value in self.cleaned_data.items()}


class AddressFilterForm(forms.Form):
    q = forms.CharField(label=_("Address"), required=False, max_length=100)
    grid = _code_field(_("Region or grid code"), 15, help_text=_("Start of a code"))

    def criteria(self) -> dict[str, str]:
        return {k: v or "" for k, v in self.cleaned_data.items()} if self.is_valid() else {}


class ArrivalsFilterForm(forms.Form):
    grid = _code_field(_("Region or grid code"), 15)
    days = forms.TypedChoiceField(
        label=_("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(7, _("Last 7 days")), (30, _("Last 30 days")), (90, _("Last 90 days"))],
    )


class ProposedTagFilterForm(forms.Form):
    grid = _code_field(_("Region or grid code"), 15)


# --- buildings and households -------------------------------------------------------------


class BuildingForm(LocatedForm):
    name = forms.CharField(label=_("Building"), max_length=120, help_text=_("e.g. 3号楼"))
    address = forms.CharField(label=_("Address"), max_length=200)
    floors = forms.IntegerField(label=_("Floors"), required=False, min_value=1, max_value=300)

    field_order = ["name", "address", "floors", *LOCATION]


class HouseholdForm(LocatedForm):
    address = forms.CharField(label=_("Address"), max_length=200)
    building_id = _record_number(
        _("Building number"),
        _("The number shown on the building's page; the flat then lies in its grid."),
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    room = forms.CharField(label=_("Room"), max_length=20, required=False)

    field_order = ["address", "building_id", "unit", "room", *LOCATION]


class SetHeadForm(forms.Form):
    person_id = forms.TypedChoiceField(label=_("Head of household"), coerce=int)

    def __init__(self, *args: Any, members: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person_id"].choices = [(p.pk, p.name) for p in members]  # type: ignore[attr-defined]


# --- people -------------------------------------------------------------------------------


class PersonForm(LocatedForm):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=_any(_("From the ID number"), Sex.choices),
    )
    birth_date = _date_field(
        _("Birth date"), required=False, help_text=_("Taken from the ID number when empty.")
    )
    id_number = _id_number_field(
        help_text=_("18 characters; checked, stored encrypted and shown masked.")
    )
    phone = _phone_field(_("Phone"))
    ethnicity = forms.CharField(label=_("Ethnicity"), required=False, max_length=20)
    hukou_code = _code_field(_("Household registration place"), 12, help_text=DIVISION_HELP)
    residence_type = forms.ChoiceField(label=_("Residence type"), choices=ResidenceType.choices)
    address = forms.CharField(label=_("Actual residence"), required=False, max_length=200)
    household_id = _record_number(
        _("Household number"), _("The number shown on the household's page.")
    )
    relation = forms.ChoiceField(
        label=_("Relation to head"), required=False, choices=_any("—", Relation.choices)
    )

    field_order = [
        "name",
        "id_number",
        "sex",
        "birth_date",
        "phone",
        "ethnicity",
        "residence_type",
        "hukou_code",
        "address",
        "household_id",
        "relation",
        *LOCATION,
    ]
    # Numbers are never put back into the form: empty means "unchanged".
    NUMBERS = ("id_number", "phone")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            keep = _("Leave empty to keep the stored number.")
            for number in self.NUMBERS:
                self.fields[number].help_text = keep
            # A move to another grid is a movement (it keeps the history), recorded on
            # the person's page, not an edit.
            for name in LOCATION:
                del self.fields[name]

    @classmethod
    def prefilled(cls) -> list[str]:
        """The fields an edit form shows with the person's stored values."""
        return [name for name in cls.field_order if name not in (*cls.NUMBERS, *LOCATION)]

    def changes(self, initial: dict[str, Any] | None = None) -> dict[str, Any]:
        data = super().changes(initial)
        if self.editing:
            for number in self.NUMBERS:
                if not data.get(number):
                    data.pop(number, None)
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PersonStatus.choices)
    date = _date_field(_("Since"))


class CareTagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Care group"), choices=CareKind.choices)
    category = forms.ChoiceField(
        label=_("Disability category"),
        required=False,
        choices=_any("—", [(v, disability_label(v)) for v in actions.DISABILITY_CATEGORIES]),
        help_text=_("For the disabled group only."),
    )
    level = forms.ChoiceField(
        label=_("Certificate level"),
        required=False,
        choices=_any("—", [(v, disability_label(v)) for v in actions.DISABILITY_LEVELS]),
        help_text=_("For the disabled group only."),
    )
    care_contact_name = forms.CharField(label=_("Care contact"), required=False, max_length=60)
    care_contact_phone = _phone_field(_("Care contact phone"))
    start_date = _date_field(_("Since"), required=False)

    def attributes(self) -> dict[str, str]:
        if self.cleaned_data["kind"] != CareKind.DISABLED:
            return {}
        return {"category": self.cleaned_data["category"], "level": self.cleaned_data["level"]}


class EndTagForm(forms.Form):
    end_date = _date_field(_("Until"))


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MovementKind.choices)
    date = _date_field(_("Date"))
    from_code = _code_field(_("From (division code)"), 12, help_text=DIVISION_HELP)
    to_code = _code_field(_("To (division code)"), 12, help_text=DIVISION_HELP)
    to_grid = _code_field(
        _("New unit grid"),
        15,
        help_text=_("For a move between grids (required), or an arrival into another grid."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=100)
    transport = forms.CharField(label=_("Transport"), required=False, max_length=60)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("id_number", _("ID number")), ("phone", _("Phone"))], widget=forms.HiddenInput
    )


class ProposeForm(forms.Form):
    code = forms.CharField(max_length=15, widget=forms.HiddenInput)


# --- imports and exports ------------------------------------------------------------------


def parse_mapping(text: str) -> dict[str, str | None]:
    """``file header = field`` per line (``header =`` ignores that column) → a mapping;
    ValidationError naming the line that is not of that shape."""
    mapping: dict[str, str | None] = {}
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        header, sep, target = line.partition("=")
        if not sep or not header.strip():
            raise forms.ValidationError(
                _("Line %(n)d: write “column in the file = field”.") % {"n": number}
            )
        mapping[header.strip()] = target.strip() or None
    return mapping


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8, GBK or GB18030) or XLSX, headers in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    mode = forms.ChoiceField(
        label=_("A person already registered (same ID number)"),
        choices=[
            ("create", _("Refuse the row")),
            ("update", _("Update the person")),
            ("skip", _("Skip the row")),
        ],
    )
    policy = forms.ChoiceField(
        label=_("When rows are invalid"),
        choices=[
            ("all_or_nothing", _("Import nothing (all or nothing)")),
            ("skip_invalid", _("Import the valid rows, report the others")),
        ],
    )
    encoding = forms.ChoiceField(
        label=_("Encoding of a CSV file"),
        choices=[
            ("auto", _("Detect")),
            ("utf-8", "UTF-8"),
            ("gbk", "GBK"),
            ("gb18030", "GB18030"),
        ],
    )
    scope_code = _code_field(
        _("Only into this region"),
        15,
        help_text=_("Optional: refuse rows whose grid lies outside this code."),
    )
    mapping = forms.CharField(
        label=_("Column mapping"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "Only for headers the importer does not recognise: one “column in the file = "
            "field” per line, e.g. 手机 = phone. Fields: %(fields)s."
        ),
    )

    def __init__(self, *args: Any, fields: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_text = str(self.fields["mapping"].help_text)
        self.fields["mapping"].help_text = help_text % {"fields": ", ".join(fields)}

    def clean_mapping(self) -> dict[str, str | None]:
        return parse_mapping(self.cleaned_data.get("mapping", ""))

    def options(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "file"}


class ExportForm(forms.Form):
    code = forms.CharField(
        label=_("Region or grid code"),
        max_length=15,
        widget=forms.TextInput(attrs=NUMERIC),
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", _("Excel (XLSX)")), ("csv", "CSV (UTF-8)")]
    )
    reveal = forms.BooleanField(
        label=_("Full ID and phone numbers"),
        required=False,
        help_text=_(
            "Only for roles that may see them; the export is recorded in the audit trail "
            "either way. Leave unticked for masked numbers."
        ),
    )
