from django.urls import path

from gridgov.accounts import views

app_name = "accounts"
# Login and logout are un-namespaced ("login", "logout") in gridgov/urls.py, because
# settings.LOGIN_URL and LOGOUT_REDIRECT_URL name them so.
urlpatterns = [
    path("password/", views.password_change, name="password_change"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("users/<int:user_id>/roles/", views.role_grant, name="role_grant"),
    path(
        "users/<int:user_id>/roles/<int:assignment_id>/withdraw/",
        views.role_withdraw,
        name="role_withdraw",
    ),
    path("users/<int:user_id>/grids/", views.grid_assign, name="grid_assign"),
    path(
        "users/<int:user_id>/grids/<int:assignment_id>/withdraw/",
        views.grid_withdraw,
        name="grid_withdraw",
    ),
    path("users/<int:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:user_id>/password/", views.user_reset_password, name="user_reset_password"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:department_id>/", views.department_edit, name="department_edit"),
]
