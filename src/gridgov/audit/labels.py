"""Readable names of audit actions. Each app adds its own with ``register`` (usually from
its AppConfig.ready); an action without a name is shown by its code."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

ACTION_LABELS: dict[str, str | Promise] = {
    "auth.login": pgettext_lazy("audit action", "Logged in"),
    "auth.logout": pgettext_lazy("audit action", "Logged out"),
    "auth.login_failed": pgettext_lazy("audit action", "Failed login"),
    "auth.locked": pgettext_lazy("audit action", "Account locked"),
    "auth.ip_throttled": pgettext_lazy("audit action", "Address throttled"),
    "user.create": pgettext_lazy("audit action", "User created"),
    "user.create_operator": pgettext_lazy("audit action", "Operator created"),
    "user.update": pgettext_lazy("audit action", "User changed"),
    "user.deactivate": pgettext_lazy("audit action", "User deactivated"),
    "user.reactivate": pgettext_lazy("audit action", "User reactivated"),
    "user.reset_password": pgettext_lazy("audit action", "Password reset"),
    "user.password_change": pgettext_lazy("audit action", "Password changed"),
    "user.unlock": pgettext_lazy("audit action", "User unlocked"),
    "role.grant": pgettext_lazy("audit action", "Role granted"),
    "role.withdraw": pgettext_lazy("audit action", "Role withdrawn"),
    "grid.assign": pgettext_lazy("audit action", "Grid assigned"),
    "grid.withdraw": pgettext_lazy("audit action", "Grid assignment withdrawn"),
    "token.create": pgettext_lazy("audit action", "API token created"),
    "token.revoke": pgettext_lazy("audit action", "API token revoked"),
    "department.create": pgettext_lazy("audit action", "Department created"),
    "department.update": pgettext_lazy("audit action", "Department changed"),
}


def register(labels: dict[str, str | Promise]) -> None:
    ACTION_LABELS.update(labels)


def label_for(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
