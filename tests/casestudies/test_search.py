"""Search behaves the same on PostgreSQL (full-text search) and SQLite (FTS5): the same query
syntax, stemming, ranking and highlighted snippets, and an index that follows every write."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test import RequestFactory

from casestudies import services
from casestudies.models import CaseStudy
from casestudies.search import Filters, TextMatch, search
from tests.anchors.factories import OrganisationFactory, lead_of, member_of, pillar, region

from .factories import CaseStudyFactory, PublishedCaseStudyFactory, SubmittedCaseStudyFactory

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL full-text search")
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's FTS5 index")


def results(query_string: str):
    params = RequestFactory().get("/case-studies/" + query_string).GET
    return search(Filters.from_query(params), 1).case_studies


def titles(query_string: str) -> list[str]:
    return [cs.title for cs in results(query_string)]


def assert_index_in_step():
    """SQLite: FTS5 compares its whole index with the case studies' text and fails if they differ.
    (PostgreSQL's search vector is a generated column: it cannot differ.)"""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO casestudies_casestudy_fts (casestudies_casestudy_fts, rank) VALUES ('integrity-check', 1)"
            )


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
    # Only exclusions: everything without the word, as PostgreSQL's websearch reads it.
    assert titles("?q=-suppliers") == ["Local jobs"]
    assert sorted(titles("?q=-supplier+or+-jobs")) == ["Local jobs", "Local suppliers"]


def test_a_title_match_ranks_above_a_summary_match_above_a_body_match():
    # Oldest first, so that newest-first order is the reverse of the ranking.
    PublishedCaseStudyFactory(title="Laundry for the community", summary="Washing linen locally.")
    PublishedCaseStudyFactory(title="Linen services", summary="A laundry run with the council.")
    PublishedCaseStudyFactory(title="Our estates plan", summary="Buildings.", next_steps="More about laundry soon.")
    assert titles("?q=laundry&sort=relevance") == ["Laundry for the community", "Linen services", "Our estates plan"]
    assert titles("?q=laundry") == titles("?q=laundry&sort=relevance")  # relevance is the default
    # Newest first when asked, whatever the rank.
    assert titles("?q=laundry&sort=newest") == ["Our estates plan", "Linen services", "Laundry for the community"]


def test_web_search_syntax_phrases_or_and_stemming():
    PublishedCaseStudyFactory(title="Real Living Wage suppliers", summary="Suppliers paying the living wage.")
    PublishedCaseStudyFactory(title="Wage and living costs", summary="Costs of living rose; wages did not.")
    PublishedCaseStudyFactory(title="Solar panels", summary="Carbon savings on the roof.")
    PublishedCaseStudyFactory(title="One supplier", summary="A single contract for the laundry.")
    assert titles('?q="living+wage"') == ["Real Living Wage suppliers"]
    assert titles('?q="wage+and+living"') == ["Wage and living costs"]
    assert sorted(titles("?q=solar+or+suppliers")) == ["One supplier", "Real Living Wage suppliers", "Solar panels"]
    assert sorted(titles("?q=solar+OR+wages+-real")) == ["Solar panels", "Wage and living costs"]
    assert sorted(titles("?q=wage+-\"living+wage\"")) == ["Wage and living costs"]
    assert "Wage and living costs" in titles("?q=wages")  # stemming: wages matches wage
    assert titles("?q=panel") == ["Solar panels"]
    # Common words are left out, as PostgreSQL's English dictionary does.
    assert titles("?q=the+solar+and+the+roof") == ["Solar panels"]
    assert titles("?q=the") == []


def test_snippets_highlight_the_match_and_escape_the_rest(client):
    PublishedCaseStudyFactory(title="Textiles", summary="A <b>hub</b> made gowns for R&D, 5 < 6.")
    [result] = results("?q=gowns")
    assert "<mark>gowns</mark>" in result.snippet
    [result] = results("?q=gown")  # a stemmed match is highlighted too
    assert "<mark>gowns</mark>" in result.snippet
    page = client.get("/case-studies/", {"q": "gowns"}).content.decode()
    assert "<mark>gowns</mark> for R&amp;D, 5 &lt; 6" in page
    assert "<b>hub</b>" not in page  # PostgreSQL's headline leaves tags out; SQLite's snippet is escaped


def test_a_snippet_comes_from_the_section_that_matched():
    PublishedCaseStudyFactory(title="Food", summary="Meals on wards.", outcomes="Ask the marmalade makers early.")
    [result] = results("?q=marmalade")
    assert "<mark>marmalade</mark> makers" in result.snippet


@pytest.mark.parametrize(
    "query",
    ['"', '""', "*", "a*", "NEAR(", "NEAR(misses", "title:", "title:laundry", "^", "^laundry", '"unbalanced',
     "AND", "OR", "NOT", "-", "--", "( )", "{title}", "+", "'", "\\", "%", "_", "laundry OR", "or or", "- -x",
     '-"', "{title summary}: laundry", "laundry NOT", "a:b:c", "😀", "laundry\u00a0*"],
)
def test_hostile_queries_never_fail(client, query):
    PublishedCaseStudyFactory(title="Laundry near misses", summary="Fewer near misses in the laundry.")
    search(Filters.from_query(RequestFactory().get("/", {"q": query}).GET), 1)
    assert client.get("/case-studies/", {"q": query}).status_code == 200
    assert client.get("/case-studies/", {"q": query + "\x00"}).status_code == 200  # the middleware drops NUL


def test_search_syntax_typed_as_words_is_searched_as_words():
    PublishedCaseStudyFactory(title="Laundry near misses", summary="Fewer near misses in the laundry.")
    PublishedCaseStudyFactory(title="Estates", summary="Buildings.")
    assert titles("?q=NEAR(misses") == ["Laundry near misses"]
    assert titles("?q=fewer:laundry") == ["Laundry near misses"]  # not a column filter
    assert titles("?q=^laundry*") == ["Laundry near misses"]
    assert titles('?q="laundry') == ["Laundry near misses"]  # an unclosed quote runs to the end
    assert titles("?q=*") == []


def test_every_word_and_phrase_reaches_fts5_quoted():
    match = TextMatch.from_websearch('NEAR(a b) "c OR d" -e* title:x o\'neill or -"f g" or or')
    assert match.wanted == '(("NEAR" AND "b" AND "c OR d" AND "title" AND "x" AND "o\'neill") NOT ("e"))'
    assert match.excluding == ('"f g"',)
    assert match.phrases == ('"NEAR"', '"b"', '"c OR d"', '"title"', '"x"', '"o\'neill"')
    assert TextMatch.from_websearch('* ^ : " the').wanted == ""


def test_search_follows_publish_edit_archive_and_delete(django_capture_on_commit_callbacks):
    organisation = OrganisationFactory(region=region("Y63"))
    author, lead = member_of(organisation), lead_of("Y63")
    cs = SubmittedCaseStudyFactory(organisation=organisation, title="Marmalade from hospital oranges")
    assert titles("?q=marmalade") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=cs, by=lead)
    assert titles("?q=marmalade") == ["Marmalade from hospital oranges"]

    content = {**services.content_of(cs), "title": "Chutney from hospital apples"}
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_edit(case_study=cs, by=author, content=content)
        services.case_study_submit(case_study=cs, by=author)
    assert titles("?q=marmalade") == ["Marmalade from hospital oranges"]  # live until the change is published
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=cs, by=lead)
    assert titles("?q=chutney") == ["Chutney from hospital apples"]
    assert titles("?q=marmalade") == []
    assert_index_in_step()

    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_archive(case_study=cs, by=author)
    assert titles("?q=chutney") == []
    assert_index_in_step()

    CaseStudy.objects.filter(pk=cs.pk).delete()
    assert_index_in_step()


def test_the_index_follows_every_write_path():
    cs = PublishedCaseStudyFactory(title="Original words")
    CaseStudy.objects.filter(pk=cs.pk).update(title="Replacement heading")  # bypasses save()
    CaseStudy.objects.bulk_create([CaseStudy(organisation=cs.organisation, slug="bulk", title="Bulk loaded marmalade",
                                             summary="s", status="published")])
    assert titles("?q=replacement") == ["Replacement heading"]
    assert titles("?q=original") == []
    assert titles("?q=marmalade") == ["Bulk loaded marmalade"]
    CaseStudy.objects.filter(pk=cs.pk).update(status="archived")  # no text changed
    assert_index_in_step()


@postgres_only
def test_the_vector_follows_every_write_path():
    cs = PublishedCaseStudyFactory(title="Original words")
    CaseStudy.objects.filter(pk=cs.pk).update(title="Replacement heading")  # bypasses save()
    match = CaseStudy.objects.filter
    assert match(search_vector=SearchQuery("replacement", config="english")).exists()
    assert not match(search_vector=SearchQuery("original", config="english")).exists()


@postgres_only
def test_search_uses_the_gin_index():
    PublishedCaseStudyFactory(title="Something")
    qs = CaseStudy.objects.filter(search_vector=SearchQuery("something", search_type="websearch", config="english"))
    with connection.cursor() as cursor:
        # A handful of rows would be read sequentially; forbid that to see whether the index serves the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "casestudy_search_gin" in plan


@sqlite_only
def test_sqlite_searches_the_fts5_index():
    PublishedCaseStudyFactory(title="Something")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM casestudies_casestudy_fts WHERE casestudies_casestudy_fts MATCH 'somethings'"
        )
        assert len(cursor.fetchall()) == 1  # porter stemming in the index itself
    assert_index_in_step()


def test_facet_counts_follow_the_filters():
    north = OrganisationFactory(region=region("Y63"), type="acute_trust")
    london = OrganisationFactory(region=region("Y56"), type="mental_health_trust")
    PublishedCaseStudyFactory(organisation=north, pillars=[pillar("purchasing"), pillar("workforce")], tags=["jobs"],
                              title="Apprentices in the north")
    PublishedCaseStudyFactory(organisation=north, pillars=[pillar("workforce")], tags=["jobs", "youth"])
    PublishedCaseStudyFactory(organisation=london, pillars=[pillar("estates")], tags=["housing"],
                              summary="Homes for apprentices.")
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

    apprentices = counts("?q=apprentice")
    assert apprentices["region"] == {"Y63": 1, "Y56": 1}
    assert apprentices["pillar"] == {"purchasing": 1, "workforce": 1, "estates": 1}
    assert apprentices["tag"] == {"jobs": 1, "housing": 1}
    north_apprentices = counts("?q=apprentice&region=Y63")
    assert north_apprentices["region"] == {"Y63": 1} and north_apprentices["tag"] == {"jobs": 1}
    assert titles("?q=apprentices&region=Y63") == ["Apprentices in the north"]


def test_publishing_refreshes_the_cached_facets(client, django_capture_on_commit_callbacks):
    PublishedCaseStudyFactory(tags=["first"])
    assert "first (1)" in client.get("/case-studies/").content.decode()
    cs = SubmittedCaseStudyFactory(tags=["second"])
    with django_capture_on_commit_callbacks(execute=True):
        services.case_study_publish(case_study=cs, by=lead_of("Y63"))
    page = client.get("/case-studies/").content.decode()
    assert "second (1)" in page
