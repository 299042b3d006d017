from django.urls import path

from gridgov.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("<str:code>/", views.region, name="region"),
]
