"""One search covers case studies and resources (issue 12): a resource is found by its title and
summary on PostgreSQL and on SQLite, the Kind facet counts and filters, the other facets apply to
resources, nothing unpublished ever shows, and resources appear in the feeds."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from anchors.models import Pillar
from casestudies import caching
from casestudies.models import Resource
from casestudies.search import Filters, search
from tests.anchors.factories import OrganisationFactory, pillar, region
from tests.factories import ResourceFactory
from tests.test_query_counts import FIRST_SUMMARY, LABELS, at_1_and_50, facet_counts, ranked

from .factories import CaseStudyFactory, PublishedCaseStudyFactory

pytestmark = pytest.mark.django_db
LIST = "/case-studies/"


def results(query_string: str):
    params = RequestFactory().get(LIST + query_string).GET
    return search(Filters.from_query(params), 1)


def found(query_string: str) -> list[tuple[str, str]]:
    return [(item.result_kind, item.title) for item in results(query_string).items]


def facet(query_string: str, name: str) -> dict[str, int]:
    return {option["value"]: option["count"] for option in results(query_string).facets[name]}


def assert_index_in_step():
    """SQLite: FTS5 compares its index of resources with their text and fails if they differ."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO casestudies_resource_fts (casestudies_resource_fts, rank) VALUES ('integrity-check', 1)"
            )


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


# --- Finding resources -------------------------------------------------------------------------


def test_a_resource_is_found_by_words_of_its_title_or_summary():
    ResourceFactory(title="Anchor procurement toolkit", summary="Scoring social value in tenders.")
    ResourceFactory(title="Recruiting locally", summary="A guide to apprenticeships for young people.", kind="guide")
    PublishedCaseStudyFactory(title="Buying from local firms", summary="Our tenders changed.")
    assert found("?q=procurement") == [("toolkit", "Anchor procurement toolkit")]
    assert found("?q=apprenticeship") == [("guide", "Recruiting locally")]  # stemmed
    assert sorted(found("?q=tenders")) == [("case_study", "Buying from local firms"), ("toolkit", "Anchor procurement toolkit")]
    assert_index_in_step()


def test_the_page_labels_each_result_with_its_kind_and_links_to_its_own_page(client):
    resource = ResourceFactory(title="Heat pump business case template", kind="template")
    case_study = PublishedCaseStudyFactory(title="Heat pumps for the laundry")
    page = client.get(LIST, {"q": "heat pump"}).content.decode()
    assert f'href="{resource.get_absolute_url()}"' in page
    assert f'href="{case_study.get_absolute_url()}"' in page
    assert '<strong class="nhsuk-tag nhsuk-tag--purple">Template</strong>' in page
    assert '<strong class="nhsuk-tag nhsuk-tag--blue">Case study</strong>' in page
    assert "2 results matching" in page


def test_each_card_names_its_pillars_in_their_order(client):
    # Read in the card's own query (no prefetch): the names, in the pillars' order, or none.
    ResourceFactory(title="Heat pump guide", kind="guide", pillars=[pillar("estates"), pillar("purchasing")])
    PublishedCaseStudyFactory(title="Heat pumps on the wards", pillars=[pillar("workforce"), pillar("purchasing")])
    PublishedCaseStudyFactory(title="Heat pumps with no pillar", pillars=[])
    items = {item.title: item.pillar_names for item in results("?q=heat+pump").items}
    order = [p.name for p in Pillar.objects.all()]
    assert items["Heat pump guide"] == sorted([pillar("estates").name, pillar("purchasing").name], key=order.index)
    assert items["Heat pumps on the wards"] == sorted(
        [pillar("workforce").name, pillar("purchasing").name], key=order.index
    )
    assert items["Heat pumps with no pillar"] == []
    page = client.get(LIST, {"q": "heat pump"}).content.decode()
    assert "; ".join(items["Heat pump guide"]) in page


def test_a_title_match_ranks_above_a_summary_match_across_both_kinds():
    ResourceFactory(title="Estates plan", summary="Includes the laundry.")  # oldest
    PublishedCaseStudyFactory(title="Laundry for the community", summary="Washing linen locally.")
    ResourceFactory(title="Laundry contracts guide", summary="What to ask suppliers.", kind="guide")
    assert [title for _kind, title in found("?q=laundry")][-1] == "Estates plan"
    assert {title for _kind, title in found("?q=laundry")[:2]} == {"Laundry for the community", "Laundry contracts guide"}
    assert [title for _kind, title in found("?q=laundry&sort=newest")] == [
        "Laundry contracts guide", "Laundry for the community", "Estates plan",
    ]


def test_unpublished_resources_never_appear(client):
    for status in ("draft", "submitted", "changes_requested", "rejected", "archived"):
        ResourceFactory(title=f"Hidden {status} toolkit", status=status)
    ResourceFactory(title="Shown toolkit")
    assert found("?q=toolkit") == [("toolkit", "Shown toolkit")]
    assert found("?kind=toolkit") == [("toolkit", "Shown toolkit")]
    assert facet("", "kind")["toolkit"] == 1
    assert facet("?q=hidden", "kind")["toolkit"] == 0
    page = client.get(LIST).content.decode()
    assert "Shown toolkit" in page and "Hidden" not in page
    feed = client.get(reverse("casestudies:feed")).content.decode()
    assert "Shown toolkit" in feed and "Hidden" not in feed


def test_snippets_highlight_the_match_and_escape_the_rest(client):
    ResourceFactory(title="Textiles", summary="A <b>hub</b> guide to gowns for R&D, 5 < 6.")
    [result] = results("?q=gowns").items
    assert "<mark>gowns</mark>" in result.snippet
    page = client.get(LIST, {"q": "gowns"}).content.decode()
    assert "<mark>gowns</mark> for R&amp;D, 5 &lt; 6" in page
    assert "<b>hub</b>" not in page


def test_the_index_follows_every_change_of_text():
    resource = ResourceFactory(title="Old words")
    Resource.objects.filter(pk=resource.pk).update(title="Greenhouse gas calculator")
    assert found("?q=greenhouse") == [("toolkit", "Greenhouse gas calculator")]
    assert found("?q=old") == []
    Resource.objects.filter(pk=resource.pk).delete()
    assert found("?q=greenhouse") == []
    assert_index_in_step()


@pytest.mark.parametrize("query", ['"', "*", "NEAR(", "title:", "-", "or or", "😀", "toolkit OR", "{title}: x"])
def test_hostile_queries_never_fail(client, query):
    ResourceFactory(title="Laundry toolkit")
    assert client.get(LIST, {"q": query}).status_code == 200


# --- The Kind facet and the other facets -------------------------------------------------------


def test_the_kind_facet_counts_every_kind_and_filters():
    PublishedCaseStudyFactory(title="Local jobs")
    ResourceFactory(title="Jobs toolkit", kind="toolkit")
    ResourceFactory(title="Jobs report", kind="report")
    ResourceFactory(title="Jobs webinar", kind="event_recording")
    caching.rebuild_facet_summary()
    unfiltered = facet("", "kind")
    assert unfiltered == {"case_study": 1, "toolkit": 1, "guide": 0, "template": 0, "report": 1, "event_recording": 1}
    assert facet("?q=jobs", "kind") == unfiltered
    assert found("?kind=report") == [("report", "Jobs report")]
    assert sorted(found("?q=jobs&kind=report&kind=case_study")) == [("case_study", "Local jobs"), ("report", "Jobs report")]
    assert found("?q=jobs&kind=case_study") == [("case_study", "Local jobs")]
    # An unknown kind is ignored, as other unknown filter values are.
    assert sorted(found("?kind=nonsense")) == sorted(found(""))
    assert results("").page.paginator.count == 4


def test_the_kind_facet_is_on_the_page_and_checked_when_chosen(client):
    ResourceFactory(kind="guide")
    page = client.get(LIST, {"kind": "guide"}).content.decode()
    assert 'name="kind" type="checkbox" value="guide" checked' in page
    assert "Guide (1)" in page
    assert "1 result." in page


def test_pillar_and_tag_filters_and_counts_apply_to_resources():
    ResourceFactory(title="Workforce guide", kind="guide", pillars=[pillar("workforce")], tags=["apprenticeships"])
    ResourceFactory(title="Purchasing toolkit", pillars=[pillar("purchasing")])
    PublishedCaseStudyFactory(title="Apprentices", pillars=[pillar("workforce")], tags=["apprenticeships"])
    assert sorted(found("?pillar=workforce")) == [("case_study", "Apprentices"), ("guide", "Workforce guide")]
    assert sorted(found("?tag=apprenticeships")) == [("case_study", "Apprentices"), ("guide", "Workforce guide")]
    pillars = facet("?kind=guide&kind=toolkit", "pillar")
    assert pillars["workforce"] == 1 and pillars["purchasing"] == 1
    assert facet("?q=apprentices+or+guide+or+toolkit", "tag")["apprenticeships"] == 2
    caching.rebuild_facet_summary()
    assert facet("", "pillar")["workforce"] == 2
    assert facet("", "tag")["apprenticeships"] == 2


def test_region_and_type_are_those_of_the_organisation_that_made_the_resource():
    yorkshire = OrganisationFactory(region=region("Y63"), type="acute_trust")
    london = OrganisationFactory(region=region("Y56"), type="mental_health_trust")
    ResourceFactory(title="Own toolkit", organisation=yorkshire)
    ResourceFactory(title="Partner toolkit", organisation=yorkshire, partner_organisation=london)
    ResourceFactory(title="Charity toolkit", organisation=yorkshire, partner_name="A local charity")
    assert found("?region=Y63") == [("toolkit", "Own toolkit")]
    assert found("?region=Y56") == [("toolkit", "Partner toolkit")]
    assert found("?type=mental_health_trust") == [("toolkit", "Partner toolkit")]
    # Made by a partner off the network: no region or type, found whenever neither is chosen.
    assert len(found("?q=toolkit")) == 3
    regions = {option["value"]: option["count"] for option in results("?q=toolkit").facets["region"]}
    assert regions["Y63"] == 1 and regions["Y56"] == 1
    caching.rebuild_facet_summary()
    regions = {option["value"]: option["count"] for option in results("").facets["region"]}
    assert regions["Y63"] == 1 and regions["Y56"] == 1


def test_the_summary_counts_published_resources_for_the_worker_to_rebuild():
    ResourceFactory(kind="report", pillars=[pillar("purchasing")])
    ResourceFactory(kind="report", status="submitted")
    summary = caching.rebuild_facet_summary()
    assert summary["total"] == 0  # case studies only, as the insight page reads it
    assert summary["resources"]["total"] == 1
    assert summary["resources"]["kinds"] == {"report": 1}
    assert summary["resources"]["pillars"] == {pillar("purchasing").pk: 1}


def test_case_studies_alone_still_read_as_case_studies(client):
    PublishedCaseStudyFactory(title="Local food")
    assert "1 case study." in client.get(LIST).content.decode()


# --- Query counts ------------------------------------------------------------------------------

# Each card query brings its rows' pillars' names too (a sub-select per row), not a prefetch.
RESOURCE_CARDS = ["the page's resources, with organisation, region and partner organisation joined and pillars"]
CASE_STUDY_CARDS = ["the page's case studies, with organisation and region joined and pillars"]


@pytest.fixture
def org():
    return OrganisationFactory(region=region("Y63"))


def both(org, n: int) -> None:
    for i in range(n):
        PublishedCaseStudyFactory(organisation=org, title=f"Tender scoring {i}", tags=[f"tag {i % 5}"])
        ResourceFactory(organisation=org, kind=("toolkit", "guide", "report")[i % 3], tags=[f"tag {i % 5}"],
                        title=f"Tender toolkit {i}", pillars=[pillar("purchasing"), pillar("workforce")])


def test_the_list_with_resources(client, org):
    expected = [
        *LABELS,
        *FIRST_SUMMARY,
        "the newest page of published case studies and resources (one UNION)",
        *CASE_STUDY_CARDS,
        *RESOURCE_CARDS,
    ]
    at_1_and_50(client, LIST, expected, lambda n: both(org, n))


def test_search_with_resources(client, org):
    expected = [
        *LABELS,
        "the newest matches of both, at most 1,001 (one UNION)",
        *facet_counts(with_resources=True),
        "the page's case studies with their highlighted snippets, with organisation and region joined and pillars",
        "the page's resources with their highlighted snippets, with organisations joined and pillars",
    ]
    # Newest first, so that the page holds both kinds at 1 row and at 50.
    at_1_and_50(client, LIST + "?q=tender&sort=newest", expected, lambda n: both(org, n))


def test_search_by_relevance_with_resources(client, org):
    expected = [
        *LABELS,
        "the newest matches of both, at most 1,001 (one UNION), with their ranks on PostgreSQL",
        # (no case study matched: none is ranked or counted)
        *ranked("resources"),
        "resources' counts per kind, region, type, pillar and tag among the matches (one query)",
        "the page's resources with their highlighted snippets, with organisations joined and pillars",
    ]
    # Only resources are found by "toolkit".
    at_1_and_50(client, LIST + "?q=toolkit", expected, lambda n: both(org, n))


def test_resources_of_one_kind(client, org):
    expected = [
        *LABELS,  # the chosen pillars' ids come from them: no query of their own
        "the newest matching resources, at most 1,001 (case studies not asked for: not read)",
        "resources' counts among the matches (one query)",
        *RESOURCE_CARDS,
    ]
    at_1_and_50(client, LIST + "?kind=toolkit&kind=guide&kind=report&pillar=workforce", expected, lambda n: both(org, n))


def test_the_feed_with_resources(client, org):
    expected = [
        "the 30 newest published case studies, with organisation joined",
        "the 30 newest published resources, with their organisations joined",
    ]
    at_1_and_50(client, reverse("casestudies:feed"), expected, lambda n: both(org, n))


# --- Feeds -------------------------------------------------------------------------------------


def test_a_new_published_resource_appears_in_the_feeds(client, django_capture_on_commit_callbacks):
    made_here = OrganisationFactory(region=region("Y63"))
    feeds = [
        reverse("casestudies:feed"),
        reverse("casestudies:feed_pillar", args=["workforce"]),
        reverse("casestudies:feed_region", args=[region("Y63").slug]),
    ]
    before = [client.get(path).content.decode() for path in feeds]  # cached for visitors
    assert not any("Apprenticeship toolkit" in feed for feed in before)
    resource = ResourceFactory(title="Apprenticeship toolkit", organisation=made_here, kind="toolkit",
                               pillars=[pillar("workforce")], status="submitted")
    from casestudies import services
    from tests.anchors.factories import lead_of

    with django_capture_on_commit_callbacks(execute=True):
        services.resource_publish(resource=resource, by=lead_of("Y63"))
    for path in feeds:
        feed = client.get(path).content.decode()
        assert "Apprenticeship toolkit" in feed, path
        assert resource.get_absolute_url() in feed
        assert 'term="Toolkit"' in feed
    assert "Apprenticeship toolkit" not in client.get(reverse("casestudies:feed_pillar", args=["purchasing"])).content.decode()
    assert "Apprenticeship toolkit" not in client.get(
        reverse("casestudies:feed_region", args=[region("Y56").slug])).content.decode()


def test_a_partner_off_the_network_puts_a_resource_in_no_region_feed(client):
    ResourceFactory(title="Charity guide", kind="guide", partner_name="A local charity")
    assert "Charity guide" in client.get(reverse("casestudies:feed")).content.decode()
    assert "Charity guide" not in client.get(reverse("casestudies:feed_region", args=[region("Y63").slug])).content.decode()


def test_feeds_merge_both_kinds_newest_first(client):
    CaseStudyFactory(title="Draft never shown")
    PublishedCaseStudyFactory(title="Older case study")
    ResourceFactory(title="Newer resource")
    feed = client.get(reverse("casestudies:feed")).content.decode()
    assert feed.index("Newer resource") < feed.index("Older case study")
    assert "Draft never shown" not in feed
    page = client.get(reverse("casestudies:feeds")).content.decode()
    assert "case studies and resources" in page


def test_the_search_is_in_welsh_too(client):
    ResourceFactory(kind="guide")
    page = client.get("/cy" + LIST)
    if page.status_code == 404:
        pytest.skip("no /cy/ URLs yet")
    assert page.status_code == 200


def test_publishing_and_archiving_a_resource_recounts_the_summary(django_capture_on_commit_callbacks):
    """The resource services ask for a new facet summary after their commit, as the case-study
    services do, so the unfiltered page's total and Kind counts follow."""
    from casestudies import services
    from tests.anchors.factories import lead_of

    caching.rebuild_facet_summary()
    resource = ResourceFactory(kind="report", status="submitted")
    lead = lead_of("Y63")
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_publish(resource=resource, by=lead)
    assert results("").page.paginator.count == 1
    assert facet("", "kind")["report"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_archive(resource=resource, by=lead)
    assert results("").page.paginator.count == 0
    assert facet("", "kind")["report"] == 0


def test_nothing_published_yet_is_an_empty_page_not_an_error(client):
    ResourceFactory(status="draft")
    page = client.get(LIST)
    assert page.status_code == 200
    assert "0 case studies." in page.content.decode()
    page = client.get(LIST, {"kind": "guide", "page": "3"})
    assert page.status_code == 200
    assert "0 results." in page.content.decode()
