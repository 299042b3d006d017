from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EpidemicConfig(AppConfig):
    name = "gridgov.epidemic"
    label = "epidemic"
    verbose_name = _("Epidemic response")

    def ready(self) -> None:
        # Each concern hooks itself up (navigation, audit labels) from its page module.
        from gridgov.epidemic.concerns import modules

        for module in modules("views"):
            hook = getattr(module, "register_web", None)
            if hook is not None:
                hook()
