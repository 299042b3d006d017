from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Each concern hooks itself up (navigation, audit labels, signals) from its own
        # page module; add a line per concern.
        from gridgov.cases.views import calendar, catalogue
        from gridgov.cases.views import components as component_pages
        from gridgov.cases.views import evaluation as evaluation_pages
        from gridgov.cases.views import workflow as workflow_pages

        calendar.register_web()
        catalogue.register_web()
        component_pages.register_web()
        evaluation_pages.register_web()
        workflow_pages.register_web()
