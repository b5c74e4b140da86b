from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("measures/", views.measures, name="measures"),
    path("measures/<slug:slug>/", views.measure_detail, name="measure"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/<slug:slug>/", views.commitment_detail, name="commitment"),
    path("commitments/<slug:slug>/sign/", views.commitment_sign, name="commitment_sign"),
    path(
        "commitments/<slug:slug>/withdraw/<slug:organisation_slug>/",
        views.commitment_withdraw,
        name="commitment_withdraw",
    ),
    path("self-assessment/", views.self_assessment_spread, name="self_assessment_spread"),
    path("members/<slug:slug>/figures/", views.organisation_figures, name="organisation_figures"),
    path("members/<slug:slug>/figures/record/", views.figure_record, name="figure_record"),
    path("members/<slug:slug>/figures/publish/", views.figures_publish, name="figures_publish"),
    path("members/<slug:slug>/figures/<int:pk>/delete/", views.figure_delete, name="figure_delete"),
    path("members/<slug:slug>/self-assessment/", views.self_assessment, name="self_assessment"),
]
