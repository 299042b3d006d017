"""Forms of the notice pages. They only parse; ``actions.notices`` decides."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.epidemic.actions.notices import BODY_LENGTH, TITLE_LENGTH
from gridgov.epidemic.models import Audience, NoticeStatus
from gridgov.epidemic.queries.notices import MAX_TARGETS, DeliveryState, RecipientKind
from gridgov.registry.models import CareKind

CODE_INPUT = forms.TextInput(
    attrs={"inputmode": "numeric", "autocomplete": "off", "list": "notice-places"}
)


class NoticeFilterForm(forms.Form):
    q = forms.CharField(label=_("Title or text"), required=False, max_length=60)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", pgettext_lazy("status", "Any")), *NoticeStatus.choices],
    )


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH)
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text; line breaks are kept. Residents read it on their phone."),
    )
    audience = forms.ChoiceField(
        label=_("Send to"),
        choices=Audience.choices,
        initial=Audience.BOTH,
        widget=forms.RadioSelect,
    )
    region_code = forms.ChoiceField(label=_("Issued by"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, issuers: list[tuple[str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if issuers and len(issuers) > 1:
            cast(forms.ChoiceField, self.fields["region_code"]).choices = issuers
        else:
            del self.fields["region_code"]

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("title", "body", "audience")} | (
            {"region_code": self.cleaned_data["region_code"]}
            if "region_code" in self.fields
            else {}
        )


class TargetForm(forms.Form):
    code = forms.CharField(
        label=_("Area (territory code)"),
        max_length=15,
        required=False,
        widget=CODE_INPUT,
    )
    care_kind = forms.ChoiceField(
        label=_("Who there"),
        required=False,
        choices=[("", _("Everyone")), *CareKind.choices],
    )

    def target(self) -> dict[str, str] | None:
        data = self.cleaned_data if self.is_valid() else {}
        code = (data.get("code") or "").strip()
        return {"code": code, "care_kind": data.get("care_kind") or ""} if code else None


TargetFormSet = forms.formset_factory(
    TargetForm, extra=2, max_num=MAX_TARGETS, absolute_max=MAX_TARGETS
)


def target_rows(formset: Any) -> list[dict[str, str]]:
    """The targets filled in (empty rows left out)."""
    return [row for form in formset.forms if (row := form.target()) is not None]


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Receipt"),
        required=False,
        choices=[
            ("", pgettext_lazy("receipt", "Any")),
            (DeliveryState.REACHED, _("Reached")),
            (DeliveryState.PENDING, _("Not yet reached")),
        ],
    )
    kind = forms.ChoiceField(
        label=_("Recipients"),
        required=False,
        choices=[
            ("", _("All recipients")),
            (RecipientKind.STAFF, _("Staff")),
            (RecipientKind.RESIDENT, _("Residents")),
            (RecipientKind.DOOR, _("Door to door")),
        ],
    )


class DoorFilterForm(forms.Form):
    notice = forms.TypedChoiceField(label=_("Notice"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Name or address"), required=False, max_length=60)

    def __init__(self, *args: Any, notices: list[tuple[int, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        field = cast(forms.TypedChoiceField, self.fields["notice"])
        field.choices = [("", _("All notices")), *(notices or [])]
