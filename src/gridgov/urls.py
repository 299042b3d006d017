from django.contrib import admin
from django.urls import include, path

from gridgov.api.api import api

urlpatterns = [
    path("", include("gridgov.web.urls")),
    path("accounts/", include("gridgov.accounts.urls")),
    path("territory/", include("gridgov.territory.urls")),
    path("audit/", include("gridgov.audit.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ops/admin/", admin.site.urls),
]
