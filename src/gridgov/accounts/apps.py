from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # The users page is in the web shell's own list; departments are added here.
        from gridgov.web.context import NavItem, register_nav_item

        register_nav_item(
            NavItem(
                _("Departments"),
                "accounts:department_list",
                "departments.manage",
                _("The professional departments that dispose of cases, and what they serve."),
                order=85,
            )
        )
