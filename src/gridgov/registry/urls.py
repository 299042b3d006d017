from django.urls import path, re_path
from django.views.generic import RedirectView

from gridgov.registry import views

app_name = "registry"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="registry:person_list"), name="home"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:person_id>/", views.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/status/", views.person_status, name="person_status"),
    path("people/<int:person_id>/tags/", views.person_tag_add, name="person_tag_add"),
    path("people/<int:person_id>/movements/", views.person_movement, name="person_movement"),
    path("people/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("tags/<int:tag_id>/confirm/", views.tag_confirm, name="tag_confirm"),
    path("tags/<int:tag_id>/end/", views.tag_end, name="tag_end"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/elderly-alone/", views.propose_elderly, name="propose_elderly"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_form, name="household_create"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", views.household_form, name="household_edit"),
    path("households/<int:household_id>/head/", views.household_head, name="household_head"),
    path("buildings/", views.building_list, name="building_list"),
    path("buildings/new/", views.building_form, name="building_create"),
    path("buildings/<int:building_id>/", views.building_detail, name="building_detail"),
    path("buildings/<int:building_id>/edit/", views.building_form, name="building_edit"),
    path("arrivals/", views.arrivals, name="arrivals"),
    path("imports/", views.import_list, name="import_list"),
    re_path(
        r"^imports/template\.(?P<fmt>xlsx|csv)$", views.import_template, name="import_template"
    ),
    path("imports/<int:job_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:job_id>/report.xlsx", views.import_report, name="import_report"),
    path("export/", views.export, name="export"),
    path("completeness/", views.completeness_home, name="completeness_home"),
    path("completeness/<str:code>/", views.completeness_page, name="completeness"),
]
