import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test import RequestFactory

from casestudies.models import CaseStudy
from casestudies.search import Filters, search
from tests.anchors.factories import OrganisationFactory, pillar, region

from .factories import CaseStudyFactory, PublishedCaseStudyFactory

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL full-text search")


def titles(query_string: str) -> list[str]:
    params = RequestFactory().get("/case-studies/" + query_string).GET
    return [cs.title for cs in search(Filters.from_query(params), 1).case_studies]


def test_search_finds_words_in_any_field_and_only_published():
    PublishedCaseStudyFactory(title="Gown making hub", approach="Machinists sewed gowns.")
    PublishedCaseStudyFactory(title="Apprenticeships", summary="Young people into work.")
    CaseStudyFactory(title="Draft gowns")
    assert titles("?q=gowns") == ["Gown making hub"]
    assert titles("?q=apprenticeships") == ["Apprenticeships"]


def test_exclusion_works_everywhere():
    PublishedCaseStudyFactory(title="Local suppliers", summary="Buying from local firms.")
    PublishedCaseStudyFactory(title="Local jobs", summary="Hiring local people.")
    assert titles("?q=local+-suppliers") == ["Local jobs"]


@postgres_only
def test_a_title_match_ranks_above_a_body_match():
    PublishedCaseStudyFactory(title="Our estates plan", summary="Buildings.", next_steps="More about laundry soon.")
    PublishedCaseStudyFactory(title="Laundry for the community", summary="Washing linen locally.")
    assert titles("?q=laundry&sort=relevance") == ["Laundry for the community", "Our estates plan"]
    # Newest first when asked, whatever the rank.
    assert titles("?q=laundry&sort=newest")[0] == "Laundry for the community"


@postgres_only
def test_web_search_syntax_phrases_or_and_stemming():
    PublishedCaseStudyFactory(title="Real Living Wage suppliers", summary="Suppliers paying the living wage.")
    PublishedCaseStudyFactory(title="Wage and living costs", summary="Costs of living rose; wages did not.")
    PublishedCaseStudyFactory(title="Solar panels", summary="Carbon savings on the roof.")
    assert titles('?q="living+wage"') == ["Real Living Wage suppliers"]
    assert sorted(titles("?q=solar+or+suppliers")) == ["Real Living Wage suppliers", "Solar panels"]
    assert "Wage and living costs" in titles("?q=wages")  # stemming: wages matches wage


@postgres_only
def test_snippets_highlight_the_match_and_escape_the_rest():
    PublishedCaseStudyFactory(title="Textiles", summary="A <b>hub</b> made gowns for the region.")
    result = search(Filters.from_query(RequestFactory().get("/?q=gowns").GET), 1).case_studies[0]
    assert "<mark>gowns</mark>" in result.snippet


@postgres_only
def test_the_vector_follows_every_write_path():
    cs = PublishedCaseStudyFactory(title="Original words")
    CaseStudy.objects.filter(pk=cs.pk).update(title="Replacement heading")  # bypasses save()
    CaseStudy.objects.bulk_create([CaseStudy(organisation=cs.organisation, slug="bulk", title="Bulk loaded marmalade",
                                             summary="s", status="published")])
    match = CaseStudy.objects.filter
    assert match(search_vector=SearchQuery("replacement", config="english")).exists()
    assert not match(search_vector=SearchQuery("original", config="english")).exists()
    assert match(search_vector=SearchQuery("marmalade", config="english")).exists()


@postgres_only
def test_search_uses_the_gin_index():
    PublishedCaseStudyFactory(title="Something")
    qs = CaseStudy.objects.filter(search_vector=SearchQuery("something", search_type="websearch", config="english"))
    with connection.cursor() as cursor:
        # A handful of rows would be read sequentially; forbid that to see whether the index serves the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "casestudy_search_gin" in plan


def test_facet_counts_follow_the_filters():
    north = OrganisationFactory(region=region("Y63"), type="acute_trust")
    london = OrganisationFactory(region=region("Y56"), type="mental_health_trust")
    PublishedCaseStudyFactory(organisation=north, pillars=[pillar("purchasing"), pillar("workforce")], tags=["jobs"])
    PublishedCaseStudyFactory(organisation=north, pillars=[pillar("workforce")], tags=["jobs", "youth"])
    PublishedCaseStudyFactory(organisation=london, pillars=[pillar("estates")], tags=["housing"])
    CaseStudyFactory(organisation=london, pillars=[pillar("estates")])  # a draft is never counted

    def counts(qs: str) -> dict:
        facets = search(Filters.from_query(RequestFactory().get("/" + qs).GET), 1).facets
        return {name: {o["value"]: o["count"] for o in options if o["count"]} for name, options in facets.items()}

    everything = counts("")
    assert everything["pillar"] == {"purchasing": 1, "workforce": 2, "estates": 1}
    assert everything["region"] == {"Y63": 2, "Y56": 1}
    assert everything["type"] == {"acute_trust": 2, "mental_health_trust": 1}
    assert everything["tag"] == {"jobs": 2, "youth": 1, "housing": 1}

    north_workforce = counts("?region=Y63&pillar=workforce")
    assert north_workforce["region"] == {"Y63": 2}
    assert north_workforce["tag"] == {"jobs": 2, "youth": 1}
    assert titles("?region=Y63&tag=youth&type=acute_trust") and len(titles("?region=Y63&tag=youth")) == 1
    assert titles("?pillar=estates&region=Y63") == []


def test_publishing_refreshes_the_cached_facets(client, django_capture_on_commit_callbacks):
    from casestudies import services
    from tests.anchors.factories import lead_of

    from .factories import SubmittedCaseStudyFactory

    PublishedCaseStudyFactory(tags=["first"])
    assert "first (1)" in client.get("/case-studies/").content.decode()
    cs = SubmittedCaseStudyFactory(tags=["second"])
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=cs, by=lead_of("Y63"))
    page = client.get("/case-studies/").content.decode()
    assert "second (1)" in page
