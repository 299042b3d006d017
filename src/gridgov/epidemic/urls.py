from gridgov.epidemic.concerns import modules

app_name = "epidemic"

# Each concern's page module owns its URL patterns.
urlpatterns = [pattern for module in modules("views") for pattern in module.urlpatterns]
