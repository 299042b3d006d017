from django.contrib import admin
from django.urls import include, path, re_path

from gridgov.accounts.views import login_view, logout_view
from gridgov.api.api import api, unknown_url

urlpatterns = [
    path("", include("gridgov.web.urls")),
    # Un-namespaced because settings.LOGIN_URL / LOGOUT_REDIRECT_URL name them so.
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", logout_view, name="logout"),
    path("accounts/", include("gridgov.accounts.urls")),
    path("territory/", include("gridgov.territory.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("epidemic/", include("gridgov.epidemic.urls")),
    path("inbox/", include("gridgov.inbox.urls")),
    path("audit/", include("gridgov.audit.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<path>.*)$", unknown_url),
    path("open311/", include("gridgov.api.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ops/admin/", admin.site.urls),
]
