"""Readable names of audit actions. Each app adds its own with ``register`` (usually from
its AppConfig.ready); an action without a name is shown by its code."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "auth.login": _("Logged in"),
    "auth.logout": _("Logged out"),
    "auth.login_failed": _("Failed login"),
    "auth.locked": _("Account locked"),
    "auth.ip_throttled": _("Address throttled"),
    "user.create": _("User created"),
    "user.create_operator": _("Operator created"),
    "user.update": _("User changed"),
    "user.deactivate": _("User deactivated"),
    "user.reactivate": _("User reactivated"),
    "user.reset_password": _("Password reset"),
    "user.password_change": _("Password changed"),
    "user.unlock": _("User unlocked"),
    "role.grant": _("Role granted"),
    "role.withdraw": _("Role withdrawn"),
    "grid.assign": _("Grid assigned"),
    "grid.withdraw": _("Grid assignment withdrawn"),
    "token.create": _("API token created"),
    "token.revoke": _("API token revoked"),
    "department.create": _("Department created"),
    "department.update": _("Department changed"),
}


def register(labels: dict[str, str | Promise]) -> None:
    ACTION_LABELS.update(labels)


def label_for(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
