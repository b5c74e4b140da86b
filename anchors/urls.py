from django.urls import path

from . import views

app_name = "anchors"

urlpatterns = [
    path("members/", views.directory, name="directory"),
    path("members/register/", views.register, name="register"),
    path("members/register/partner/", views.register_partner, name="register_partner"),
    path("members/register/<slug:slug>/", views.register_listed, name="register_listed"),
    path("members/verification/", views.verification_queue, name="verification"),
    path("members/verification/<slug:slug>/", views.verification_decide, name="verification_decide"),
    path("members/roles/", views.roles, name="roles"),
    path("members/roles/leads/<int:pk>/remove/", views.lead_remove, name="lead_remove"),
    path("members/roles/coordinators/<int:pk>/remove/", views.coordinator_remove, name="coordinator_remove"),
    path("members/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("members/<slug:slug>/join/", views.join, name="join"),
    path("members/<slug:slug>/leave/", views.leave, name="leave"),
    path("members/<slug:slug>/edit/", views.organisation_edit, name="edit"),
    path("members/<slug:slug>/requests/", views.requests_list, name="requests"),
    path("members/<slug:slug>/requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("members/<slug:slug>/requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("members/<slug:slug>/admins/", views.admins, name="admins"),
    path("members/<slug:slug>/people/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "members/<slug:slug>/admins/<int:pk>/<str:action>/",
        views.admin_change,
        name="admin_change",
    ),
]
