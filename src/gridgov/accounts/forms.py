"""Forms of the accounts pages. They check shape (required, length, matching passwords);
the actions check meaning and permission and name the field when they refuse."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Department
from gridgov.accounts.roles import Role

YES_NO_ANY = [("", _("Any")), ("1", _("Yes")), ("0", _("No"))]


def _department_choices(departments: Iterable[Department]) -> list[tuple[Any, Any]]:
    return [("", _("— none —"))] + [
        (d.pk, f"{d.name} ({d.region_code})") for d in departments if d.is_active
    ]


def _password_field(label: Any, autocomplete: str, **options: Any) -> forms.CharField:
    """A password input: kept exactly as typed, with the browser's autocomplete hint."""
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        **options,
    )


def _password_to_set(label: Any) -> forms.CharField:
    """The password an administrator sets for someone; empty asks for a generated one."""
    return _password_field(
        label,
        "new-password",
        required=False,
        help_text=_("Leave empty to generate one; it is shown once."),
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = _password_field(_("Password"), "current-password")


class PasswordChangeForm(forms.Form):
    old_password = _password_field(_("Current password"), "current-password")
    new_password = _password_field(
        _("New password"),
        "new-password",
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    new_password_again = _password_field(_("New password again"), "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        help_text=_("What the token is for, e.g. the name of the client program."),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.GRIDGOV_API_TOKEN_DAYS


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=150)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )
    code = forms.CharField(
        label=_("Territory code"),
        required=False,
        max_length=15,
        help_text=_("Start of a code, e.g. 411302"),
    )
    active = forms.ChoiceField(label=_("Active"), required=False, choices=YES_NO_ANY)
    locked = forms.ChoiceField(label=_("Locked"), required=False, choices=YES_NO_ANY)


class RoleScopeForm(forms.Form):
    """A role with where it applies: a territory code, or a department for handlers."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region_code = forms.CharField(
        label=_("Territory code"),
        required=False,
        max_length=15,
        help_text=_(
            "Grid worker: community or grid; community staff: community; township staff: "
            "township; supervision and command centres: city or county; leaders and "
            "administrators: city, county or township."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}),
    )
    department_id = forms.ChoiceField(
        label=_("Department"),
        required=False,
        help_text=_("Only for department handlers."),
    )

    def __init__(self, *args: Any, departments: Iterable[Department] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _department_choices(departments)


class UserCreateForm(RoleScopeForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    password = _password_to_set(_("Initial password"))

    field_order = ["username", "display_name", "email", "role", "region_code", "department_id"]


class UserEditForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class GridAssignForm(forms.Form):
    grid_code = forms.CharField(
        label=_("Unit grid code"),
        max_length=15,
        min_length=15,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}),
    )
    deputy = forms.BooleanField(label=_("As deputy"), required=False)


class PasswordResetForm(forms.Form):
    password = _password_to_set(_("New password"))


class VersionForm(forms.Form):
    """The version a button was rendered with, to refuse a stale click."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DepartmentForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Short unique code: letters, digits, -")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    region_code = forms.CharField(
        label=_("Territory served"),
        max_length=12,
        help_text=_("Code of the city, county, township or community it serves."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The code identifies the department elsewhere; it does not change.
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        else:
            del self.fields["is_active"]
            del self.fields["version"]


class DepartmentFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    code = forms.CharField(label=_("Territory code"), required=False, max_length=15)
