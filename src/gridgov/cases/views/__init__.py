"""Pages, one module per concern; each module's ``urlpatterns`` joins ``cases.urls``."""
