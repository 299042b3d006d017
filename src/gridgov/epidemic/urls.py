import importlib

app_name = "epidemic"

# Each concern's page module owns its URL patterns.
urlpatterns = [
    pattern
    for name in ("declarations", "risk", "health_code", "public")
    for pattern in importlib.import_module(f"gridgov.epidemic.views.{name}").urlpatterns
]
