from django.urls import path

from . import views

app_name = "questions"

urlpatterns = [
    path("case-studies/<slug:slug>/ask/", views.ask, name="ask"),
    path("case-studies/<slug:slug>/ask/sent/", views.sent, name="sent"),
    path("case-studies/<slug:slug>/questions/", views.question_settings, name="settings"),
    path("questions/report/<str:token>/", views.report, name="report"),
    path("questions/stop/<str:token>/", views.stop, name="stop"),
]
