"""Open311 GeoReport v2 under /open311/v2/, the discovery document at /open311/."""

from django.urls import path, re_path

from gridgov.api.open311 import views

app_name = "open311"

# Every resource ends in its format: ``.json`` or ``.xml`` (others are refused in XML).
FORMAT = r"\.(?P<fmt>[A-Za-z0-9]+)"
ID = r"(?P<{}>[^/.]+)"

urlpatterns = [
    re_path(rf"^discovery{FORMAT}$", views.discovery, name="discovery"),
    path("v2/", views.root, name="root"),
    re_path(rf"^v2/services{FORMAT}$", views.services, name="services"),
    re_path(
        rf"^v2/services/{ID.format('service_code')}{FORMAT}$",
        views.service_definition,
        name="service_definition",
    ),
    re_path(rf"^v2/requests{FORMAT}$", views.requests, name="requests"),
    re_path(
        rf"^v2/requests/{ID.format('service_request_id')}{FORMAT}$",
        views.request_detail,
        name="request",
    ),
    re_path(
        rf"^v2/tokens/{ID.format('token')}{FORMAT}$",
        views.request_id_from_token,
        name="token",
    ),
    path("v2/media/<int:attachment_id>.<slug:ext>", views.media, name="media"),
    re_path(r"^(?P<path>.*)$", views.unknown),
]
