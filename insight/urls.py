from django.urls import path

from . import views

app_name = "insight"

urlpatterns = [
    path("insight/", views.insight, name="insight"),
    path("insight/<slug:key>.csv", views.table_csv, name="csv"),
]
