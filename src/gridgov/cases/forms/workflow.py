"""Forms of the workflow pages: reporting a problem (patrol, citizen, hotline), the filters
of the case lists, and one small form per transition.

Forms check shape only; the actions check meaning and permission. Fields are named after
the action's keyword arguments, so a refusal that names a field (``InvalidInput(fields=…)``)
lands on that field. Every transition form carries the case ``version`` it was shown
with, and the action refuses a stale one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.cases.models import CaseClass, Rating, Source, Stage, TimeUnit
from gridgov.core.errors import DomainError, InvalidInput
from gridgov.core.text import has_control_characters
from gridgov.web.forms import FoldedFilters

MAX_PHOTOS = 6
NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}


# --- building blocks ----------------------------------------------------------------------


def _lazy_format(text: Any) -> Any:
    """``text % {"count": MAX_PHOTOS}``, translated when shown (not at import)."""
    return lazy(lambda: str(text) % {"count": MAX_PHOTOS}, str)()


class PhotoInput(forms.FileInput):
    """``<input type=file multiple accept=image/*>``; on a phone ``capture`` opens the
    back camera straight away."""

    allow_multiple_selected = True

    def __init__(self, *, camera: bool = True) -> None:
        attrs = {
            "accept": "image/*",
            "multiple": True,
            "data-photo-input": "",
            "data-max-count": MAX_PHOTOS,
            "data-max-bytes": int(settings.GRIDGOV_ATTACHMENT_MAX_MB * 1024 * 1024),
        }
        if camera:
            attrs["capture"] = "environment"
        super().__init__(attrs=attrs)


class PhotoField(forms.FileField):
    """Up to ``MAX_PHOTOS`` files; cleans to a list (empty when none was chosen). Type and
    size are checked where the photo is stored (``attachments.store_photo``)."""

    def __init__(self, *, camera: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault(
            "help_text", _lazy_format(_("Up to %(count)d photos; take them on the spot."))
        )
        super().__init__(widget=PhotoInput(camera=camera), **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("Choose at most %(count)d photos.") % {"count": MAX_PHOTOS}, code="too_many"
            )
        return [super(PhotoField, self).clean(f, initial) for f in files]


def class_choices(classes: Iterable[CaseClass]) -> list[tuple[str, Any]]:
    """Minor classes grouped under their major class (``<optgroup>``), so a phone's native
    picker shows major → minor without any script."""
    groups: dict[int | None, tuple[str, list[tuple[str, str]]]] = {}
    for minor in classes:
        major = minor.parent
        if major is None:
            continue
        key = major.pk
        if key not in groups:
            label = f"{major.get_kind_display()} · {major.code} {major.name}"
            groups[key] = (label, [])
        groups[key][1].append((str(minor.pk), f"{minor.code} {minor.name}"))
    return list(groups.values())


def class_filter_choices(classes: Iterable[CaseClass]) -> list[tuple[str, Any]]:
    """Like ``class_choices``, with a first entry in each group for the whole major class
    (value ``major-<id>``)."""
    classes = list(classes)
    majors = {c.parent.pk: c.parent for c in classes if c.parent is not None}
    grouped = class_choices(classes)
    return [
        (label, [(f"major-{major.pk}", _("All of %(name)s") % {"name": major.name}), *options])
        for (label, options), major in zip(grouped, majors.values(), strict=True)
    ]


class ClassField(forms.ChoiceField):
    """A minor class picked from the active catalogue; cleans to the CaseClass (or None
    when the field is optional and left empty)."""

    def __init__(
        self, classes: Iterable[CaseClass], *, empty_label: Any = None, **kwargs: Any
    ) -> None:
        self.classes = {str(c.pk): c for c in classes}
        choices: list[tuple[str, Any]] = [("", empty_label or _("Choose a class"))]
        choices += class_choices(self.classes.values())
        kwargs.setdefault("label", _("Class"))
        super().__init__(choices=choices, **kwargs)
        self.widget.attrs["data-class-select"] = ""  # workflow.js shows its questions

    def clean(self, value: Any) -> CaseClass | None:
        key = super().clean(value)
        return self.classes.get(key) if key else None


class ClassAttributesMixin:
    """The extra questions of each class (its Open311 attributes) as fields named
    ``attr_<class id>_<code>``; the page shows only the chosen class's questions (all of
    them, headed by their class, without JavaScript). ``attributes()`` answers those of
    the chosen class as the action takes them ({code: value})."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_attribute_fields(self, classes: Iterable[CaseClass]) -> None:
        self.attribute_groups: list[tuple[CaseClass, list[str]]] = []
        for case_class in classes:
            names = []
            for spec in case_class.attributes or []:
                field = attribute_field(spec)
                if field is None:
                    continue
                name = f"attr_{case_class.pk}_{spec['code']}"
                self.fields[name] = field
                names.append(name)
            if names:
                self.attribute_groups.append((case_class, names))

    def attribute_blocks(self) -> list[tuple[CaseClass, list[forms.BoundField]]]:
        return [(c, [self[n] for n in names]) for c, names in self.attribute_groups]  # type: ignore[index]

    def check_attributes(self, case_class: CaseClass | None) -> None:
        """A required question of the chosen class left unanswered is an error on it."""
        for spec in (case_class.attributes if case_class else None) or []:
            name = f"attr_{case_class.pk}_{spec.get('code')}"  # type: ignore[union-attr]
            if spec.get("required") and name in self.fields and not self.cleaned_data.get(name):
                self.add_error(name, forms.Field.default_error_messages["required"])  # type: ignore[attr-defined]

    def answer_errors_on_fields(self, exc: DomainError) -> DomainError:
        """The action's refusal with its ``attributes.<code>`` errors renamed to this
        form's question fields, so that each shows under its question."""
        case_class = self.cleaned_data.get("case_class")
        fields = exc.details.get("fields") if isinstance(exc, InvalidInput) else None
        if case_class is None or not fields:
            return exc
        prefix = "attributes."
        renamed = {
            f"attr_{case_class.pk}_{name.removeprefix(prefix)}"
            if name.startswith(prefix)
            else name: reason
            for name, reason in fields.items()
        }
        return InvalidInput(exc.message, fields=renamed)

    def attributes(self) -> dict[str, Any]:
        case_class = self.cleaned_data.get("case_class")
        if case_class is None:
            return {}
        prefix = f"attr_{case_class.pk}_"
        return {
            name[len(prefix) :]: value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value not in (None, "", [])
        }


def attribute_field(spec: dict[str, Any]) -> forms.Field | None:
    """A form field for one Open311 attribute (string, text, number, single or multiple
    value list); None for a datatype pages do not ask (e.g. datetime)."""
    label = spec.get("description") or spec.get("code")
    values = [(str(v["key"]), v.get("name") or v["key"]) for v in spec.get("values") or []]
    kind = spec.get("datatype")
    options: dict[str, Any] = {"label": label, "required": False}
    if kind == "singlevaluelist":
        return forms.ChoiceField(choices=[("", _("Choose")), *values], **options)
    if kind == "multivaluelist":
        return forms.MultipleChoiceField(
            choices=values, widget=forms.CheckboxSelectMultiple, **options
        )
    if kind == "number":
        return forms.FloatField(**options)
    if kind in ("string", "text"):
        return forms.CharField(max_length=500, **options)
    return None


def _coordinate(label: Any, low: float, high: float, name: str) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", f"data-{name}": ""}),
    )


class VersionForm(forms.Form):
    """The version of the case the page showed (every transition sends it back)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# --- reporting ----------------------------------------------------------------------------


class LocationForm(forms.Form):
    """Where the problem is: a point (from the phone or a tap on the map) and an address."""

    lon = _coordinate(_("Longitude"), -180, 180, "lon")
    lat = _coordinate(_("Latitude"), -90, 90, "lat")
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=200,
        help_text=_("Street and number, or a landmark nearby."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lon") is None) != (data.get("lat") is None):
            raise forms.ValidationError(_("Give both longitude and latitude, or neither."))
        return data

    def has_point(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return data.get("lon") is not None and data.get("lat") is not None


class PatrolReportForm(ClassAttributesMixin, LocationForm):
    """巡查上报: a grid worker reports what they found on patrol."""

    photos = PhotoField()
    case_class = forms.ChoiceField()  # replaced in __init__ by the catalogue's classes
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is wrong, how big, any danger."),
    )
    grid_code = forms.ChoiceField(
        label=_("Unit grid"),
        required=False,
        help_text=_("Only needed when the phone cannot give a location."),
    )

    field_order = ["photos", "lon", "lat", "grid_code", "case_class", "description", "address"]

    def __init__(
        self, *args: Any, classes: Iterable[CaseClass], grids: Iterable[tuple[str, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        classes = list(classes)
        self.fields["case_class"] = ClassField(classes)
        self.fields["grid_code"].choices = [("", _("From the location")), *grids]  # type: ignore[attr-defined]
        self.order_fields(self.field_order)
        self.add_attribute_fields(classes)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_attributes(data.get("case_class"))
        if not self.errors and not self.has_point() and not data.get("grid_code"):
            raise forms.ValidationError(
                _("Give the location: use the phone's position, tap the map or choose a grid.")
            )
        return data


class CitizenReportForm(ClassAttributesMixin, LocationForm):
    """市民上报: anyone reports a problem, without an account."""

    photos = PhotoField(camera=False, help_text=_lazy_format(_("Up to %(count)d photos.")))
    case_class = forms.ChoiceField()
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reporter_name = forms.CharField(
        label=_("Your name"), required=False, max_length=50, help_text=_("Optional.")
    )
    reporter_phone = forms.CharField(
        label=_("Your phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Optional. Only staff see it, masked; we call only about this report."),
    )
    # Left empty by people (it is hidden); filled in by form-filling robots.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = [
        "photos",
        "lon",
        "lat",
        "case_class",
        "description",
        "address",
        "reporter_name",
        "reporter_phone",
    ]

    def __init__(self, *args: Any, classes: Iterable[CaseClass], **kw: Any) -> None:
        super().__init__(*args, **kw)
        classes = list(classes)
        self.fields["case_class"] = ClassField(
            classes,
            required=False,
            label=_("Kind of problem"),
            empty_label=_("Not sure"),
        )
        self.order_fields(self.field_order)
        self.add_attribute_fields(classes)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_attributes(data.get("case_class"))
        if data.get("website"):
            raise forms.ValidationError(_("The report could not be accepted."))
        if not self.errors and not self.has_point():
            raise forms.ValidationError(
                _("Show where the problem is: use your phone's position or tap the map.")
            )
        return data


class HotlineForm(ClassAttributesMixin, LocationForm):
    """热线受理: the supervision centre takes a report over the phone."""

    reporter_name = forms.CharField(label=_("Caller's name"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("Caller's phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    grid_code = forms.CharField(
        label=_("Unit grid code"),
        required=False,
        min_length=15,
        max_length=15,
        widget=forms.TextInput(attrs=NUMERIC),
        help_text=_("15 digits; leave empty when a point is marked on the map."),
    )
    case_class = forms.ChoiceField()
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    field_order = [
        "reporter_name",
        "reporter_phone",
        "address",
        "lon",
        "lat",
        "grid_code",
        "case_class",
        "description",
    ]

    def __init__(self, *args: Any, classes: Iterable[CaseClass], **kw: Any) -> None:
        super().__init__(*args, **kw)
        classes = list(classes)
        self.fields["case_class"] = ClassField(
            classes, required=False, empty_label=_("Classify when filing")
        )
        self.order_fields(self.field_order)
        self.add_attribute_fields(classes)

    def clean_grid_code(self) -> str:
        code = self.cleaned_data.get("grid_code") or ""
        if code and not code.isdigit():
            raise forms.ValidationError(_("A unit grid code has 15 digits."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_attributes(data.get("case_class"))
        if not self.errors and not self.has_point() and not data.get("grid_code"):
            raise forms.ValidationError(_("Mark the place on the map or enter its grid code."))
        return data


# --- lists --------------------------------------------------------------------------------

_CLOSED = frozenset({Stage.CLOSED, Stage.CANCELLED})
LIGHTS = [
    ("red", pgettext_lazy("traffic light", "Red: overdue")),
    ("yellow", pgettext_lazy("traffic light", "Yellow: due soon")),
    ("green", pgettext_lazy("traffic light", "Green: in time")),
]


def _any(choices: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return [("", _("Any")), *choices]


class QueueFilterForm(forms.Form):
    light = forms.ChoiceField(label=_("Traffic light"), required=False, choices=_any(LIGHTS))
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=_any(Stage.choices))

    def criteria(self) -> dict[str, str]:
        return {k: v or "" for k, v in self.cleaned_data.items()} if self.is_valid() else {}


class CaseFilterForm(FoldedFilters):
    """The full case list's search and filters, sent by GET (bookmarkable, paged); the
    search stays in view, the others fold under "More filters"."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Case number, or words of the description or address"),
            }
        ),
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=_any([("open", _("Any open stage")), *Stage.choices]),
    )
    case_class = forms.ChoiceField(label=_("Class"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_any(Source.choices))
    territory = forms.CharField(
        label=_("Region or grid code"),
        required=False,
        max_length=15,
        widget=forms.TextInput(attrs={**NUMERIC, "placeholder": "411302001"}),
    )
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(
        self,
        *args: Any,
        departments: Iterable[tuple[int, str]] = (),
        classes: Iterable[CaseClass] = (),
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["department"].choices = _any(departments)  # type: ignore[attr-defined]
        self.fields["case_class"].choices = _any(class_filter_choices(classes))  # type: ignore[attr-defined]

    MORE = ("stage", "case_class", "source", "territory", "department", "overdue")

    def clean_q(self) -> str:
        text = self.cleaned_data.get("q") or ""
        if has_control_characters(text):
            raise forms.ValidationError(_("Control characters are not allowed."))
        return text

    def clean_territory(self) -> str:
        code = self.cleaned_data.get("territory") or ""
        if code and not code.isdigit():
            raise forms.ValidationError(_("Digits only."))
        return code

    def criteria(self) -> dict[str, Any]:
        """The filters as given ({} when invalid: the list is then shown unfiltered)."""
        return dict(self.cleaned_data) if self.is_valid() else {}


class MapFilterForm(forms.Form):
    """The map of open cases: which stage, and what the dots' colour tells."""

    colour = forms.ChoiceField(
        label=_("Colour by"),
        required=False,
        choices=[("light", _("Traffic light")), ("stage", _("Stage"))],
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[
            ("", _("Any open stage")),
            *[(s.value, s.label) for s in Stage if s not in _CLOSED],
        ],
    )

    def criteria(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"colour": data.get("colour") or "light", "stage": data.get("stage") or ""}


# --- transitions --------------------------------------------------------------------------


def _text(label: Any, *, required: bool = True, rows: int = 2, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=kw.pop("max_length", 500),
        widget=forms.Textarea(attrs={"rows": rows}),
        **kw,
    )


def _yes_no(label: Any, yes: Any, no: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("1", yes), ("0", no)],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )


class NoteForm(VersionForm):
    note = _text(_("Note"), required=False)


class ReasonForm(VersionForm):
    reason = _text(_("Reason"), max_length=200)


class PlainForm(VersionForm):
    """A transition that needs nothing but a click (accept)."""


class VerifyForm(VersionForm):
    is_real = _yes_no(_("Is the problem real?"), _("Yes, as reported"), _("No, not found"))
    note = _text(_("Note"), required=False)
    photos = PhotoField(help_text=_("Photos taken on the spot."))


class CheckForm(VersionForm):
    passed = _yes_no(_("Is the problem solved?"), _("Yes, solved"), _("No, not solved (send back)"))
    note = _text(_("Note"), required=False)
    photos = PhotoField(help_text=_("Photos taken on the spot."))


class FileForm(VersionForm):
    case_class = forms.ChoiceField()
    note = _text(_("Note"), required=False)

    def __init__(self, *args: Any, classes: Iterable[CaseClass], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["case_class"] = ClassField(
            classes, help_text=_("Confirm or correct the class; it sets the time limit.")
        )
        self.order_fields(["version", "case_class", "note"])


class DispatchForm(VersionForm):
    department = forms.TypedChoiceField(
        label=_("Department"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Left empty: the department the responsibility list suggests."),
    )
    note = _text(_("Instructions"), required=False)

    def __init__(self, *args: Any, departments: Iterable[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["department"].choices = [("", _("Choose a department")), *departments]  # type: ignore[attr-defined]


class DisposeForm(VersionForm):
    result = _text(_("What was done"), rows=3, max_length=2000)
    photos = PhotoField(help_text=_("Photos of the result."))


class PostponeForm(VersionForm):
    amount = forms.IntegerField(label=_("Extra time"), min_value=1, max_value=999)
    unit = forms.ChoiceField(label=_("Unit"), choices=TimeUnit.choices)
    reason = _text(_("Reason"), max_length=500)


class DecidePostponementForm(VersionForm):
    postponement = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    approve = _yes_no(_("Decision"), _("Approve"), _("Reject"))
    note = _text(_("Note"), required=False)


class MergeForm(VersionForm):
    into_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = _text(_("Comment"), required=False, rows=3)
