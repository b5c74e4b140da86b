"""Visitors' pages come from the page cache, and no change that has committed is ever hidden by
it: each kind of change (publish, archive, an edit of a published case study, an organisation's
profile, reference data) shows on the next request. Signed-in people get their own header
around the shared fragments; no cached page carries anyone's CSRF token or messages."""

from __future__ import annotations

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anchors import services as anchor_services
from casestudies import caching, services
from tests.anchors.factories import (
    OrganisationFactory,
    admin_of,
    lead_of,
    member_of,
    pillar,
    region,
)
from tests.casestudies.factories import PublishedCaseStudyFactory, SubmittedCaseStudyFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(region=region("Y63"), name="Northumbria Example Trust")


@pytest.fixture
def lead():
    return lead_of("Y63")


def get(client, path: str) -> tuple[str, int]:
    """The page's text and the number of queries it took."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


LIST = reverse("casestudies:list")
FEED = reverse("casestudies:feed")
HOME = reverse("home")
DIRECTORY = reverse("anchors:directory")


def detail(case_study) -> str:
    return reverse("casestudies:detail", args=[case_study.slug])


# --- Served from the cache ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, LIST + "?q=tender", LIST + "?pillar=purchasing&region=Y63", FEED, HOME,
                                  DIRECTORY, reverse("casestudies:feeds")])
def test_it_serves_a_visitor_the_stored_page_without_a_query(client, org, path):
    PublishedCaseStudyFactory(organisation=org, approach="A new tender.")
    first, _ = get(client, path)
    again, queries = get(client, path)
    assert queries == 0 and again == first


def test_it_serves_case_study_pages_and_profiles_from_the_cache(client, org):
    case_study = PublishedCaseStudyFactory(organisation=org)
    for path in (detail(case_study), reverse("anchors:organisation", args=[org.slug])):
        get(client, path)
        assert get(client, path)[1] == 0


def test_it_keys_pages_on_the_whole_url(client, org):
    PublishedCaseStudyFactory(organisation=org, title="Tender scoring", approach="A new tender.")
    PublishedCaseStudyFactory(organisation=org, title="Solar panels", approach="Roofs.")
    assert "Solar panels" in get(client, LIST)[0]
    searched, _ = get(client, LIST + "?q=tender")
    assert "Tender scoring" in searched and "Solar panels" not in searched


def test_a_cached_page_carries_no_csrf_token_and_sets_no_cookie(client, org):
    case_study = PublishedCaseStudyFactory(organisation=org)
    for path in (LIST, HOME, DIRECTORY, detail(case_study), reverse("anchors:organisation", args=[org.slug])):
        client.get(path)
        response = client.get(path)
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies


def test_pages_that_ask_for_a_csrf_token_are_never_stored(client):
    # The sign-in page holds a POST form: each visitor must get a token of their own, with the
    # cookie that goes with it, never a page stored for someone else.
    login = reverse("account_login")
    assert "csrfmiddlewaretoken" in client.get(login).content.decode()
    another = Client()
    assert "csrftoken" in another.get(login).cookies


def test_signed_in_people_get_their_own_header_around_the_shared_results(client, org):
    PublishedCaseStudyFactory(organisation=org, title="Tender scoring")
    get(client, LIST)  # a visitor stores the page
    person = member_of(org, user=UserFactory(full_name="Sam Okafor"))
    client.force_login(person)
    page, _ = get(client, LIST)
    assert "Sam Okafor" in page and "Tender scoring" in page and "Write a case study" in page
    client.logout()
    visitor_page, _ = get(client, LIST)
    assert "Sam Okafor" not in visitor_page and "Write a case study" not in visitor_page


def test_a_signed_in_list_reuses_the_cached_results(client, org):
    PublishedCaseStudyFactory(organisation=org)
    client.force_login(member_of(org))
    _, cold = get(client, LIST)
    _, warm = get(client, LIST)
    # Only who they are and what they may do: the user and their roles (one query); the session
    # comes from the cache (cached_db sessions).
    assert warm == 2 < cold


def test_a_visitor_with_a_message_waiting_gets_it_not_the_stored_page(client, org):
    get(client, HOME)
    storage = CookieStorage(client.get(HOME).wsgi_request)
    client.cookies[storage.cookie_name] = storage._encode([_message("Signed out.")])
    assert "Signed out." in client.get(HOME).content.decode()
    assert "Signed out." not in client.get(HOME).content.decode()  # shown once, then the stored page


def _message(text):
    from django.contrib.messages.storage.base import Message

    return Message(constants.INFO, text)


# --- Nothing stale after a change commits ------------------------------------------------------


def test_a_publish_shows_at_once(client, org, lead, django_capture_on_commit_callbacks):
    PublishedCaseStudyFactory(organisation=org, title="Already there")
    waiting = SubmittedCaseStudyFactory(organisation=org, title="Freshly published")
    pages = [LIST, FEED, LIST + "?pillar=purchasing", reverse("anchors:organisation", args=[org.slug])]
    for path in pages:
        assert "Freshly published" not in get(client, path)[0]
    assert "1 case study" in get(client, LIST)[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=waiting, by=lead)
    for path in pages:
        assert "Freshly published" in get(client, path)[0], path
    assert "2 case studies" in get(client, LIST)[0]


def test_an_archive_shows_at_once(client, org, lead, django_capture_on_commit_callbacks):
    case_study = PublishedCaseStudyFactory(organisation=org, title="Soon archived")
    for path in (LIST, FEED, detail(case_study)):
        assert "Soon archived" in get(client, path)[0]
    assert "This case study is archived" not in get(client, detail(case_study))[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_archive(case_study=case_study, by=lead)
    assert "Soon archived" not in get(client, LIST)[0]
    assert "Soon archived" not in get(client, FEED)[0]
    assert "0 case studies" in get(client, LIST)[0]
    assert "archived" in get(client, detail(case_study))[0].lower()


def test_an_edit_of_a_published_case_study_shows_once_published(client, org, lead, django_capture_on_commit_callbacks):
    case_study = PublishedCaseStudyFactory(organisation=org, title="Old title")
    author = member_of(org)
    for path in (LIST, detail(case_study), FEED):
        get(client, path)
    with django_capture_on_commit_callbacks(execute=True):
        content = {**services.content_of(case_study), "title": "New title"}
        services.case_study_edit(case_study=case_study, by=author, content=content)
        services.case_study_submit(case_study=case_study, by=author)
    # Until a moderator publishes the changes, the published version stays live.
    assert "Old title" in get(client, detail(case_study))[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=case_study, by=lead)
    for path in (LIST, detail(case_study), FEED):
        page, _ = get(client, path)
        assert "New title" in page and "Old title" not in page, path


def test_an_organisation_profile_edit_shows_at_once(client, org, django_capture_on_commit_callbacks):
    profile = reverse("anchors:organisation", args=[org.slug])
    assert "Buying locally since 2020" not in get(client, profile)[0]
    get(client, DIRECTORY)
    with django_capture_on_commit_callbacks(execute=True):
        anchor_services.organisation_update(organisation=org, by=admin_of(org), description="Buying locally since 2020")
    assert "Buying locally since 2020" in get(client, profile)[0]


def test_a_verified_organisation_joins_the_directory_at_once(client, lead, django_capture_on_commit_callbacks):
    from tests.anchors.factories import pending

    newcomer = pending(region=region("Y63"), name="Newcomer Health Board")
    assert "Newcomer Health Board" not in get(client, DIRECTORY)[0]
    with django_capture_on_commit_callbacks(execute=True):
        anchor_services.organisation_verify(organisation=newcomer, by=lead)
    assert "Newcomer Health Board" in get(client, DIRECTORY)[0]


def test_a_reference_data_change_in_the_admin_shows_at_once(client, org, django_capture_on_commit_callbacks):
    PublishedCaseStudyFactory(organisation=org, pillars=[pillar("purchasing")])
    assert "Buying for social value" not in get(client, LIST)[0]
    get(client, DIRECTORY)
    admin = UserFactory(is_staff=True, is_superuser=True)
    editor = Client()
    editor.force_login(admin)
    purchasing = pillar("purchasing")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(reverse("admin:anchors_pillar_change", args=[purchasing.pk]), {
            "name": "Buying for social value", "slug": purchasing.slug, "description": purchasing.description,
            "position": purchasing.position,
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Buying for social value" in get(client, LIST)[0]
    assert "Buying for social value" in get(client, DIRECTORY)[0]


# --- The facet summary -------------------------------------------------------------------------


def test_no_visitor_rebuilds_the_summary_while_a_new_one_is_awaited(client, org):
    """A change has committed but the worker has not yet recounted: the list shows the previous
    summary without counting anything itself, and is not stored, so the new count shows as soon
    as the worker's summary lands."""
    PublishedCaseStudyFactory(organisation=org)
    caching.rebuild_facet_summary()
    PublishedCaseStudyFactory(organisation=org)
    cache.incr(caching.SUMMARY_WANTED_KEY) if cache.get(caching.SUMMARY_WANTED_KEY) else cache.set(
        caching.SUMMARY_WANTED_KEY, 1, None)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(LIST).content.decode()
    assert "1 case study" in page
    assert not any("COUNT(" in q["sql"] for q in ctx.captured_queries)
    assert get(client, LIST)[1] > 0  # not stored while unsettled
    caching.rebuild_facet_summary()  # what the worker does
    assert "2 case studies" in get(client, LIST)[0]


def test_the_summary_counts_regions_and_types_of_published_case_studies_only(org):
    other = OrganisationFactory(region=region("Y56"), type="mental_health_trust")
    PublishedCaseStudyFactory(organisation=org)
    PublishedCaseStudyFactory(organisation=other)
    SubmittedCaseStudyFactory(organisation=other)
    summary = caching.rebuild_facet_summary()
    assert summary["total"] == 2
    assert summary["regions"] == {region("Y63").pk: 1, region("Y56").pk: 1}
    assert summary["types"] == {org.type: 1, "mental_health_trust": 1}


def test_a_publish_queues_the_rebuild_after_commit_not_before(org, lead, django_capture_on_commit_callbacks):
    caching.rebuild_facet_summary()
    waiting = SubmittedCaseStudyFactory(organisation=org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.case_study_publish(case_study=waiting, by=lead)
    assert caching.facet_summary()[0]["total"] == 0  # nothing yet: the transaction has not committed
    for callback in callbacks:
        callback()
    summary, fresh = caching.facet_summary()
    assert summary["total"] == 1 and fresh
