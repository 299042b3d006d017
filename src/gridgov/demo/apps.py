from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo city builder: no models, but its audit actions need readable names."""

    name = "gridgov.demo"
    label = "demo"
    verbose_name = _("Demo city")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from gridgov.audit import labels

        labels.register(
            {
                "demo.build": pgettext_lazy("audit action", "Demo city built"),
                "demo.regions.prune": pgettext_lazy("audit action", "Demo regions removed"),
            }
        )
