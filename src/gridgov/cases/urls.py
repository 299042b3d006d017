import importlib

app_name = "cases"

# Each concern's page module owns its URL patterns.
urlpatterns = [
    pattern
    for name in ("catalogue", "calendar", "components", "workflow", "evaluation")
    for pattern in importlib.import_module(f"gridgov.cases.views.{name}").urlpatterns
]
