from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "gridgov.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from gridgov.inbox import queries
        from gridgov.web.context import NavItem, register_nav_item

        register_nav_item(
            NavItem(
                _("Inbox"),
                "inbox:message_list",
                # Staff (every role but citizen) receive work messages; citizens none.
                "territory.view",
                _("Tasks waiting for you, alerts and notices."),
                order=5,
                badge=queries.unread_count,
                badge_label=_("%(count)s unread"),
            )
        )
