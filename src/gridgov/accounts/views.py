"""Pages of the accounts app: thin views over queries and actions.

Each page parses a form, calls one query or action and renders; scope and permission
are decided in the actions and queries (outside the scope → 404, no right → 403).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts import actions, forms, queries, scope
from gridgov.accounts.models import User
from gridgov.accounts.viewutils import domain_errors, flag, run_action
from gridgov.audit.middleware import client_ip
from gridgov.core.paging import paginate

USERS_PAGE_SIZE = 30

# ---------------------------------------------------------------------------------------
# Logging in and out, own password and tokens


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(_next_url(request))
    form = forms.LoginForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.authenticate_login(
                form.cleaned_data["username"], form.cleaned_data["password"], ip=client_ip(request)
            )
        except actions.LoginRefused as exc:
            form.add_error(None, exc.message)
            locked = isinstance(exc, actions.AccountLocked)
        else:
            auth_login(request, user)
            return redirect(_next_url(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "accounts/login.html", {**context, "locked": locked})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        actions.record_logout(actor=request.user)
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, user = run_action(
            form,
            lambda: actions.change_own_password(
                actor=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            ),
        )
        if ok:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:password_change")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = forms.TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        ok, created = run_action(
            form,
            lambda: actions.create_token(
                actor=request.user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
            ),
        )
        if ok:
            # Rendered, not redirected: the secret must not pass through the session.
            new_token = {"token": created[0], "raw": created[1]}
            form = forms.TokenCreateForm()
    page = paginate(queries.tokens_of(request.user), request.GET.get("page"), USERS_PAGE_SIZE)
    return render(
        request, "accounts/token_list.html", {"form": form, "page": page, "new_token": new_token}
    )


@login_required
@require_POST
@domain_errors
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = actions.revoke_token(token_id, actor=request.user)
    messages.success(request, _("Token %(prefix)s… was revoked.") % {"prefix": token.prefix})
    return redirect("accounts:token_list")


# ---------------------------------------------------------------------------------------
# User administration


def _require_manager(request: HttpRequest) -> None:
    scope.require(request.user, actions.MANAGE_USERS)


@login_required
@require_GET
@domain_errors
def user_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    filters = forms.UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = queries.search_users(
        request.user,
        q=data.get("q", ""),
        role=data.get("role", ""),
        code=data.get("code", ""),
        active=flag(data.get("active")),
        locked=flag(data.get("locked")),
    )
    page = paginate(qs, request.GET.get("page"), USERS_PAGE_SIZE)
    return render(request, "accounts/user_list.html", {"filters": filters, "page": page})


def _departments_for(request: HttpRequest) -> Any:
    return queries.visible_departments(request.user, actions.MANAGE_USERS)


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def user_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = forms.UserCreateForm(request.POST or None, departments=_departments_for(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, created = run_action(
            form,
            lambda: actions.create_user(
                data["username"],
                actor=request.user,
                role=data["role"],
                region_code=data["region_code"],
                department_id=data["department_id"] or None,
                display_name=data["display_name"],
                email=data["email"],
                password=data["password"] or None,
            ),
        )
        if ok:
            user, password = created
            if password:
                return _show_password(request, user, password)
            messages.success(request, _("User %(name)s was created.") % {"name": user})
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


def _show_password(request: HttpRequest, user: User, password: str) -> HttpResponse:
    """The one time a generated password is shown (rendered, never stored)."""
    response = render(
        request, "accounts/password_shown.html", {"target": user, "password": password}
    )
    response["Cache-Control"] = "no-store"
    return response


def _detail_page(
    request: HttpRequest, target: User, status: int = 200, **forms_: Any
) -> HttpResponse:
    """The user page with its forms; a form with errors is passed in to be shown as is."""
    assignments = list(queries.role_assignments_of(target))
    grids = list(queries.grid_assignments_of(target, include_withdrawn=True))
    can_manage = queries.can_manage(request.user, target)
    version = {"version": target.version}
    context = {
        "target": target,
        "can_manage": can_manage,
        "roles": [a for a in assignments if a.withdrawn_at is None],
        "role_history": [a for a in assignments if a.withdrawn_at is not None],
        "grids": [g for g in grids if g.withdrawn_at is None],
        "grid_history": [g for g in grids if g.withdrawn_at is not None],
        "edit_form": forms_.get("edit_form")
        or forms.UserEditForm(
            initial={**version, "display_name": target.display_name, "email": target.email}
        ),
        "grant_form": forms_.get("grant_form")
        or forms.RoleScopeForm(departments=_departments_for(request)),
        "grid_form": forms_.get("grid_form") or forms.GridAssignForm(),
        "reset_form": forms_.get("reset_form") or forms.PasswordResetForm(),
        "state_form": forms_.get("state_form") or forms.VersionForm(initial=version),
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    """The user page; a POST here saves the profile (display name, email)."""
    _require_manager(request)
    target = queries.get_user_for(request.user, user_id)
    if request.method == "GET":
        return _detail_page(request, target)
    form = forms.UserEditForm(request.POST)
    if form.is_valid():
        ok, _result = run_action(
            form,
            lambda: actions.update_user(
                target.pk,
                actor=request.user,
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                version=form.cleaned_data["version"],
            ),
        )
        if ok:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:user_detail", user_id=target.pk)
    return _detail_page(request, target, edit_form=form)


def _user_form_post(
    request: HttpRequest,
    user_id: int,
    form_name: str,
    form: Any,
    call: Any,
    success: str,
) -> HttpResponse:
    """Shared path of the small forms on the user page: validate, act, redirect back
    with a message, or show the page again with the form's errors."""
    _require_manager(request)
    target = queries.get_user_for(request.user, user_id)
    if form.is_valid():
        ok, result = run_action(form, lambda: call(target, form.cleaned_data))
        if ok:
            if isinstance(result, str):  # a generated password, shown once
                return _show_password(request, target, result)
            messages.success(request, success)
            return redirect("accounts:user_detail", user_id=target.pk)
    return _detail_page(request, target, **{form_name: form})


@login_required
@require_POST
@domain_errors
def role_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    form = forms.RoleScopeForm(request.POST, departments=_departments_for(request))
    return _user_form_post(
        request,
        user_id,
        "grant_form",
        form,
        lambda target, data: actions.grant_role(
            target.pk,
            actor=request.user,
            role=data["role"],
            region_code=data["region_code"],
            department_id=data["department_id"] or None,
        ),
        _("Role granted."),
    )


@login_required
@require_POST
@domain_errors
def role_withdraw(request: HttpRequest, user_id: int, assignment_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "state_form",
        forms.VersionForm(request.POST),
        lambda target, data: actions.withdraw_role(target.pk, assignment_id, actor=request.user),
        _("Role withdrawn."),
    )


@login_required
@require_POST
@domain_errors
def grid_assign(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "grid_form",
        forms.GridAssignForm(request.POST),
        lambda target, data: actions.assign_grid(
            target.pk, actor=request.user, grid_code=data["grid_code"], deputy=data["deputy"]
        ),
        _("Grid assigned."),
    )


@login_required
@require_POST
@domain_errors
def grid_withdraw(request: HttpRequest, user_id: int, assignment_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "state_form",
        forms.VersionForm(request.POST),
        lambda target, data: actions.withdraw_grid(target.pk, assignment_id, actor=request.user),
        _("Grid assignment withdrawn."),
    )


@login_required
@require_POST
@domain_errors
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "state_form",
        forms.VersionForm(request.POST),
        lambda target, data: actions.deactivate_user(
            target.pk, actor=request.user, version=data["version"]
        ),
        _("User deactivated: they can no longer log in."),
    )


@login_required
@require_POST
@domain_errors
def user_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "state_form",
        forms.VersionForm(request.POST),
        lambda target, data: actions.reactivate_user(
            target.pk, actor=request.user, version=data["version"]
        ),
        _("User reactivated."),
    )


@login_required
@require_POST
@domain_errors
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "state_form",
        forms.VersionForm(request.POST),
        lambda target, data: actions.unlock_user(target.pk, actor=request.user),
        _("User unlocked."),
    )


@sensitive_post_parameters("password")
@login_required
@require_POST
@domain_errors
def user_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_form_post(
        request,
        user_id,
        "reset_form",
        forms.PasswordResetForm(request.POST),
        lambda target, data: actions.reset_password(
            target.pk, actor=request.user, password=data["password"] or None
        ),
        _("Password reset."),
    )


# ---------------------------------------------------------------------------------------
# Departments


def _require_department_manager(request: HttpRequest) -> None:
    scope.require(request.user, actions.MANAGE_DEPARTMENTS)


@login_required
@require_GET
@domain_errors
def department_list(request: HttpRequest) -> HttpResponse:
    _require_department_manager(request)
    filters = forms.DepartmentFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = queries.search_departments(
        request.user,
        q=data.get("q", ""),
        code=data.get("code", ""),
        capability=actions.MANAGE_DEPARTMENTS,
    )
    page = paginate(qs, request.GET.get("page"), USERS_PAGE_SIZE)
    return render(request, "accounts/department_list.html", {"filters": filters, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def department_create(request: HttpRequest) -> HttpResponse:
    _require_department_manager(request)
    form = forms.DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, department = run_action(
            form,
            lambda: actions.create_department(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                region_code=data["region_code"],
                phone=data["phone"],
            ),
        )
        if ok:
            messages.success(request, _("Department %(name)s was created.") % {"name": department})
            return redirect("accounts:department_list")
    return render(request, "accounts/department_form.html", {"form": form, "department": None})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def department_edit(request: HttpRequest, department_id: int) -> HttpResponse:
    _require_department_manager(request)
    department = queries.get_department_for(request.user, department_id, actions.MANAGE_DEPARTMENTS)
    initial = {
        "code": department.code,
        "name": department.name,
        "region_code": department.region_code,
        "phone": department.phone,
        "is_active": department.is_active,
        "version": department.version,
    }
    form = forms.DepartmentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, _result = run_action(
            form,
            lambda: actions.update_department(
                department.pk,
                actor=request.user,
                name=data["name"],
                phone=data["phone"],
                is_active=data["is_active"],
                region_code=data["region_code"],
                version=data["version"],
            ),
        )
        if ok:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:department_list")
    return render(
        request, "accounts/department_form.html", {"form": form, "department": department}
    )
