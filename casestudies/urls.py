from django.urls import path

from . import feeds, resource_views, views

app_name = "casestudies"

urlpatterns = [
    path("case-studies/", views.case_study_list, name="list"),
    path("case-studies/new/", views.case_study_create, name="create"),
    path("case-studies/yours/", views.my_case_studies, name="mine"),
    path("case-studies/moderation/", views.moderation_queue, name="queue"),
    path("case-studies/feeds/", views.feeds_index, name="feeds"),
    path("case-studies/feed/", feeds.LatestCaseStudiesFeed(), name="feed"),
    path("case-studies/feed/pillar/<slug:slug>/", feeds.PillarFeed(), name="feed_pillar"),
    path("case-studies/feed/region/<slug:slug>/", feeds.RegionFeed(), name="feed_region"),
    path("case-studies/files/<int:pk>/", views.attachment_download, name="attachment"),
    path("resources/", resource_views.resource_list, name="resources"),
    path("resources/suggest/", resource_views.resource_suggest, name="resource_suggest"),
    path("resources/yours/", resource_views.my_resources, name="resources_mine"),
    path("resources/<slug:slug>/", resource_views.resource_detail, name="resource"),
    path("resources/<slug:slug>/edit/", resource_views.resource_edit, name="resource_edit"),
    path("resources/<slug:slug>/file/", resource_views.resource_file, name="resource_file"),
    path("resources/<slug:slug>/submit/", resource_views.resource_submit, name="resource_submit"),
    path("resources/<slug:slug>/archive/", resource_views.resource_archive, name="resource_archive"),
    path("resources/<slug:slug>/review/", resource_views.resource_review, name="resource_review"),
    path("case-studies/<slug:slug>/", views.case_study_detail, name="detail"),
    path("case-studies/<slug:slug>/edit/", views.case_study_edit, name="edit"),
    path("case-studies/<slug:slug>/changes/", views.revision_preview, name="revision"),
    path("case-studies/<slug:slug>/submit/", views.case_study_submit, name="submit"),
    path("case-studies/<slug:slug>/archive/", views.case_study_archive, name="archive"),
    path("case-studies/<slug:slug>/history/", views.case_study_history, name="history"),
    path("case-studies/<slug:slug>/review/", views.review, name="review"),
    path("case-studies/<slug:slug>/files/", views.attachment_add, name="attachment_add"),
    path("case-studies/<slug:slug>/files/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
]
