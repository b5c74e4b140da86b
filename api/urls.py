from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import errors, views

app_name = "api"

urlpatterns = [
    path("api/", views.docs, name="docs"),
    path("api/v1/", views.Root.as_view(), name="root"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/case-studies/", views.CaseStudyList.as_view(), name="case-studies"),
    path("api/v1/case-studies/<slug:slug>/", views.CaseStudyDetail.as_view(), name="case-study"),
    path("api/v1/organisations/", views.OrganisationList.as_view(), name="organisations"),
    path("api/v1/organisations/<slug:slug>/", views.OrganisationDetail.as_view(), name="organisation"),
    path("api/v1/measures/", views.MeasureList.as_view(), name="measures"),
    path("api/v1/measures/<slug:slug>/", views.MeasureDetail.as_view(), name="measure"),
    path("api/v1/figures/", views.FigureList.as_view(), name="figures"),
    re_path(r"^api/v1/", errors.not_found),
]
