from django.urls import path

from . import digest_views, follow_views, views

app_name = "network"

urlpatterns = [
    path("groups/", views.group_list, name="groups"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<slug:slug>/", views.group_detail, name="group"),
    path("groups/<slug:slug>/join/", views.group_join, name="join"),
    path("groups/<slug:slug>/leave/", views.group_leave, name="leave"),
    path("groups/<slug:slug>/requests/", views.group_requests, name="requests"),
    path("groups/<slug:slug>/discussions/new/", views.thread_new, name="thread_new"),
    path("groups/<slug:slug>/discussions/<int:pk>/", views.thread_detail, name="thread"),
    path("groups/<slug:slug>/posts/<int:pk>/hide/", views.post_hide, name="post_hide"),
    path("groups/<slug:slug>/posts/<int:pk>/report/", views.post_report, name="post_report"),
    path("groups/<slug:slug>/reports/", views.post_reports, name="reports"),
    path("groups/<slug:slug>/events/new/", views.event_new, name="event_new"),
    path("groups/<slug:slug>/events/<int:pk>.ics", views.event_ics, name="event_ics"),
    *digest_views.urlpatterns,
    *follow_views.urlpatterns,
]
