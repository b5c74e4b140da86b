from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("your-data/", views.data_export_request, name="data_export_request"),
    path("your-data/<int:pk>/download/", views.data_export_download, name="data_export_download"),
    path("delete/", views.delete_account, name="delete"),
    path("deleted/", views.account_deleted, name="deleted"),
]
