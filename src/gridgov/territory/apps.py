from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "gridgov.territory"
    label = "territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        from django.utils.translation import pgettext_lazy

        from gridgov.audit import labels

        labels.register(
            {
                "territory.region.create": pgettext_lazy("audit action", "Region created"),
                "territory.region.update": pgettext_lazy("audit action", "Region changed"),
                "territory.region.delete": pgettext_lazy("audit action", "Region deleted"),
                "territory.regions.upsert": pgettext_lazy("audit action", "Regions loaded"),
                "territory.grids.generate": pgettext_lazy("audit action", "Grids generated"),
            }
        )
