from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    label = "registry"
    verbose_name = _("Population registry")

    def ready(self) -> None:
        self._register_web()

    def _register_web(self) -> None:
        """Navigation entries and the population panel of the territory region pages."""
        from gridgov.registry import views
        from gridgov.territory.panels import RegionPanel, register_region_panel
        from gridgov.web.context import NavItem, register_nav_item

        register_nav_item(
            NavItem(
                _("People"),
                "registry:person_list",
                "registry.view",
                _("Residents, households and buildings of your grids; care groups, movement."),
                order=20,
            )
        )
        register_nav_item(
            NavItem(
                _("Completeness"),
                "registry:completeness_home",
                "registry.aggregate",
                _("How complete each grid's register is, and the gaps to fix."),
                order=25,
            )
        )
        register_region_panel(
            RegionPanel("registry", "registry/region_panel.html", views.region_panel, order=10)
        )
