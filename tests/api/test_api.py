"""The open data API: only what a visitor sees, filters, pagination, CSV, errors as JSON, rate
limits, the schema and a fixed number of queries per list."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anchors.models import Organisation
from casestudies.models import CaseStudy
from evidence.models import AnnualFigure, Commitment, CommitmentSignature, StandardMeasure
from tests.anchors.factories import (
    OrganisationFactory,
    coordinator,
    member_of,
    pending,
    pillar,
    region,
)
from tests.casestudies.factories import (
    CaseStudyFactory,
    OutcomeMeasureFactory,
    PublishedCaseStudyFactory,
    SubmittedCaseStudyFactory,
)

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "private.person@example-trust.nhs.uk"


def get_json(client, path, status=200, **params):
    response = client.get(path, params)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    return response.json()


def measure(slug="local-spend-share") -> StandardMeasure:
    return StandardMeasure.objects.get(slug=slug)


def figure(organisation, *, year=2024, value=40, status=AnnualFigure.Status.PUBLISHED, slug="local-spend-share"):
    return AnnualFigure.objects.create(organisation=organisation, measure=measure(slug), year=year, value=value,
                                       status=status, published_at=timezone.now())


# --- Never more than a visitor sees -------------------------------------------------------------


@pytest.fixture
def every_status():
    organisation = OrganisationFactory()
    made = {"published": PublishedCaseStudyFactory(organisation=organisation, contact_email=SECRET_EMAIL,
                                                   contact_name="Pat Private")}
    made["draft"] = CaseStudyFactory(organisation=organisation, title="A draft nobody may see")
    made["submitted"] = SubmittedCaseStudyFactory(organisation=organisation, title="Awaiting review")
    for status in ("changes_requested", "rejected", "archived"):
        made[status] = CaseStudyFactory(organisation=organisation, status=status, title=f"Not live {status}")
    return made


def test_it_lists_only_published_case_studies(client, every_status):
    data = get_json(client, "/api/v1/case-studies/")
    assert [item["id"] for item in data["results"]] == [every_status["published"].slug]
    assert data["count"] == 1


@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested", "rejected", "archived"])
def test_it_answers_404_json_for_a_case_study_that_is_not_published(client, every_status, status):
    data = get_json(client, f"/api/v1/case-studies/{every_status[status].slug}/", status=404)
    assert data["status"] == 404
    assert data["error"] == "Not found"
    assert every_status[status].title not in json.dumps(data)


def test_a_signed_in_coordinator_gets_no_more_than_a_visitor(client, every_status):
    client.force_login(coordinator())
    data = get_json(client, "/api/v1/case-studies/")
    assert data["count"] == 1
    get_json(client, f"/api/v1/case-studies/{every_status['draft'].slug}/", status=404)


@pytest.mark.parametrize("path", ["/api/v1/case-studies/", "/api/v1/case-studies/?format=csv", "detail",
                                  "detail?format=csv"])
def test_contact_details_never_leave_in_json_or_csv(client, every_status, path):
    if path.startswith("detail"):
        path = f"/api/v1/case-studies/{every_status['published'].slug}/" + path.removeprefix("detail")
    body = client.get(path).content.decode()
    assert every_status["published"].title in body
    assert SECRET_EMAIL not in body
    assert "Pat Private" not in body
    assert "contact" not in body


def test_it_lists_only_verified_organisations(client):
    verified = OrganisationFactory()
    pending()
    OrganisationFactory(status=Organisation.Status.DECLINED)
    OrganisationFactory(status=Organisation.Status.LISTED)
    data = get_json(client, "/api/v1/organisations/")
    assert [o["id"] for o in data["results"]] == [verified.slug]
    get_json(client, f"/api/v1/organisations/{pending().slug}/", status=404)


def test_organisations_show_published_figures_and_signed_commitments_only(client):
    organisation = OrganisationFactory()
    figure(organisation, year=2023, value=35)
    figure(organisation, year=2024, value=99, status=AnnualFigure.Status.DRAFT)
    commitment = Commitment.objects.create(title="Buy local", slug="buy-local", measure=measure(),
                                           target_value=50, target_date="2028-03-31")
    CommitmentSignature.objects.create(commitment=commitment, organisation=organisation)
    data = get_json(client, f"/api/v1/organisations/{organisation.slug}/")
    assert data["published_figures"] == [
        {"measure": "local-spend-share", "year": 2023, "year_label": "2023/24", "value": "35.00", "formatted": "35%"}
    ]
    assert [c["commitment"] for c in data["commitments"]] == ["buy-local"]
    assert "email_domains" not in data


def test_figures_leave_out_drafts_and_unverified_organisations(client):
    shown = figure(OrganisationFactory(), value=41)
    figure(OrganisationFactory(), status=AnnualFigure.Status.DRAFT)
    figure(pending())
    data = get_json(client, "/api/v1/figures/")
    assert [f["id"] for f in data["results"]] == [shown.pk]
    assert data["results"][0]["formatted"] == "41%"


def test_measures_list_the_standard_measures(client):
    data = get_json(client, "/api/v1/measures/", page_size=100)
    assert data["count"] == StandardMeasure.objects.count() > 0
    assert get_json(client, "/api/v1/measures/local-spend-share/")["unit_kind"] == "percentage"


# --- Filters --------------------------------------------------------------------------------------


def test_case_study_filters_match_the_list_page(client):
    north = OrganisationFactory(region=region("Y63"))
    london = OrganisationFactory(region=region("Y56"), type=Organisation.Type.MENTAL_HEALTH_TRUST)
    buying = PublishedCaseStudyFactory(organisation=north, pillars=[pillar("purchasing")], tags=["food"],
                                       title="Local food for hospital kitchens")
    hiring = PublishedCaseStudyFactory(organisation=london, pillars=[pillar("workforce")],
                                       title="Apprentices from the estate")

    def ids(**params):
        return [item["id"] for item in get_json(client, "/api/v1/case-studies/", **params)["results"]]

    assert ids(pillar="purchasing") == [buying.slug]
    assert ids(region="Y56") == [hiring.slug]
    assert ids(type="mental_health_trust") == [hiring.slug]
    assert ids(tag="food") == [buying.slug]
    assert ids(q="kitchens") == [buying.slug]
    assert set(ids(region=["Y56", "Y63"])) == {buying.slug, hiring.slug}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/case-studies/", {"pillar": "nonsense"}, "pillar"),
        ("/api/v1/case-studies/", {"region": "ZZZ"}, "region"),
        ("/api/v1/case-studies/", {"type": "castle"}, "type"),
        ("/api/v1/organisations/", {"region": "ZZZ"}, "region"),
        ("/api/v1/figures/", {"year": "last year"}, "year"),
        ("/api/v1/figures/", {"measure": "happiness"}, "measure"),
        ("/api/v1/measures/", {"pillar": "nonsense"}, "pillar"),
    ],
)
def test_a_bad_filter_answers_400_json_saying_which(client, path, params, field):
    data = get_json(client, path, status=400, **params)
    assert data["status"] == 400
    assert data["error"] == "Bad request"
    assert field in data["detail"]


def test_a_bad_filter_answers_json_even_when_csv_was_asked_for(client):
    data = get_json(client, "/api/v1/case-studies/", status=400, pillar="nonsense", format="csv")
    assert "pillar" in data["detail"]


def test_figures_filter_by_measure_organisation_year_and_region(client):
    north = OrganisationFactory(region=region("Y63"))
    london = OrganisationFactory(region=region("Y56"))
    a = figure(north, year=2023)
    b = figure(north, year=2024)
    c = figure(london, year=2024, slug="local-spend", value=1000)

    def ids(**params):
        return {f["id"] for f in get_json(client, "/api/v1/figures/", **params)["results"]}

    assert ids(year="2024") == {b.pk, c.pk}
    assert ids(year="2024/25") == {b.pk, c.pk}
    assert ids(measure="local-spend") == {c.pk}
    assert ids(organisation=north.slug) == {a.pk, b.pk}
    assert ids(region="Y56") == {c.pk}


def test_organisation_filters(client):
    trust = OrganisationFactory(name="Riverside Hospitals NHS Trust", region=region("Y63"),
                                pillars=[pillar("purchasing")])
    OrganisationFactory(name="Hillside Care", region=region("Y56"), type=Organisation.Type.COMMUNITY_TRUST)

    def ids(**params):
        return [o["id"] for o in get_json(client, "/api/v1/organisations/", **params)["results"]]

    assert ids(q="riverside") == [trust.slug]
    assert ids(region="Y63") == [trust.slug]
    assert ids(pillar="purchasing") == [trust.slug]
    assert ids(type="acute_trust") == [trust.slug]


# --- Pagination, CSV, errors ----------------------------------------------------------------------


def test_it_pages_results_with_links_to_the_next_and_previous(client):
    made = [PublishedCaseStudyFactory() for _ in range(3)]
    first = get_json(client, "/api/v1/case-studies/", page_size=2)
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert second["next"] is None
    seen = [i["id"] for i in first["results"] + second["results"]]
    assert sorted(seen) == sorted(cs.slug for cs in made)


def test_a_page_past_the_end_answers_404_json(client):
    PublishedCaseStudyFactory()
    data = get_json(client, "/api/v1/case-studies/", status=404, page=99)
    assert "page" in data["detail"]


def test_an_unknown_address_answers_404_json(client):
    data = get_json(client, "/api/v1/no-such-thing/", status=404)
    assert data["error"] == "Not found"


def test_writing_is_refused_with_json(client):
    response = client.post("/api/v1/case-studies/", {})
    assert response.status_code == 405
    assert response.json()["error"] == "Method not allowed"


def test_csv_has_a_row_per_item_with_nested_fields_as_columns(client):
    case_study = PublishedCaseStudyFactory(title="=HYPERLINK(\"http://evil.example\")", tags=["food", "jobs"])
    OutcomeMeasureFactory(case_study=case_study, measure="Local spend", value=42, unit="%")
    response = client.get("/api/v1/case-studies/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="case-studies.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == case_study.slug
    assert row["title"] == "'=HYPERLINK(\"http://evil.example\")"  # a spreadsheet shows it, never runs it
    assert row["organisation.region.code"] == "Y63"
    assert row["tags"] == "food; jobs"
    assert "Local spend" in row["outcome_measures"]
    assert row["sections.approach"] == case_study.approach


def test_too_many_requests_answer_429_json(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"client": "3/minute"}}
    for _ in range(3):
        assert client.get("/api/v1/measures/").status_code == 200
    data = get_json(client, "/api/v1/measures/", status=429)
    assert data["error"] == "Too many requests"
    assert "Try again in" in data["detail"]
    # Another client is counted separately.
    assert client.get("/api/v1/measures/", REMOTE_ADDR="192.0.2.9").status_code == 200


def test_the_count_is_kept_in_the_shared_cache(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"client": "1/minute"}}
    client.get("/api/v1/measures/")
    assert client.get("/api/v1/measures/").status_code == 429
    cache.clear()  # what another web process sees when the cache forgets
    assert client.get("/api/v1/measures/").status_code == 200


# --- Schema and the page about it -------------------------------------------------------------------


def test_the_schema_describes_every_endpoint_and_the_licence(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["license"]["name"] == "Open Government Licence v3.0"
    for path in ["/api/v1/case-studies/", "/api/v1/case-studies/{slug}/", "/api/v1/organisations/",
                 "/api/v1/measures/", "/api/v1/figures/"]:
        assert path in schema["paths"]
    assert "contact_email" not in response.content.decode()


def test_the_schema_is_yaml_by_default(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


def test_the_root_lists_endpoints_and_the_codes_filters_take(client):
    data = get_json(client, "/api/v1/")
    assert data["licence"]["name"] == "Open Government Licence v3.0"
    assert data["regions"]["Y63"] == "North East and Yorkshire"
    assert "purchasing" in data["pillars"]


def test_the_use_this_data_page_names_the_licence_and_shows_examples(client):
    response = client.get("/api/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Open Government Licence v3.0" in text
    assert "curl" in text
    assert "<script>" not in text


@pytest.mark.parametrize("page", ["/case-studies/", "/members/"])
def test_the_list_pages_link_to_use_this_data(client, page):
    assert 'href="/api/"' in client.get(page).content.decode()


# --- Queries --------------------------------------------------------------------------------------


def _count(client, path) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(queries.captured_queries)


def _same_at_1_and_50(client, path, add, expected: list[str]) -> None:
    add(1)
    assert _count(client, path) == len(expected)
    add(49)
    assert _count(client, path) == len(expected)
    assert len(client.get(path).json()["results"]) == 50


def test_case_study_list_queries_are_fixed(client):
    organisation = OrganisationFactory()

    def add(n):
        for _ in range(n):
            cs = PublishedCaseStudyFactory(organisation=organisation, tags=["food"])
            OutcomeMeasureFactory(case_study=cs)

    _same_at_1_and_50(client, "/api/v1/case-studies/?pillar=purchasing", add, [
        "pillar filter: check the slugs exist",
        "pillar filter: the pillars' ids (casestudies.search)",
        "count",
        "the page, with organisation and region",
        "pillars", "tags", "outcome measures with their standard measure",
    ])


def test_organisation_list_queries_are_fixed(client):
    commitment = Commitment.objects.create(title="Buy local", slug="buy-local", measure=measure(),
                                           target_value=50, target_date="2028-03-31")

    def add(n):
        for _ in range(n):
            organisation = OrganisationFactory(pillars=[pillar("purchasing")])
            figure(organisation)
            CommitmentSignature.objects.create(commitment=commitment, organisation=organisation)

    _same_at_1_and_50(client, "/api/v1/organisations/", add, [
        "count", "the page, with region", "pillars", "published figures with their measure",
        "signatures with their commitment",
    ])


def test_figure_list_queries_are_fixed(client):
    def add(n):
        for year in range(2015, 2015 + n):
            figure(OrganisationFactory(), year=min(year, 2024))

    _same_at_1_and_50(client, "/api/v1/figures/", add, ["count", "the page, with measure, organisation, region"])


def test_measure_list_queries_are_fixed(client):
    StandardMeasure.objects.all().delete()  # start from none, not the seeded catalogue

    def add(n):
        start = StandardMeasure.objects.count()
        for i in range(start, start + n):
            StandardMeasure.objects.create(name=f"Measure {i}", slug=f"measure-{i}", definition="What to count.",
                                           unit_kind="count", pillar=pillar("purchasing"))

    _same_at_1_and_50(client, "/api/v1/measures/", add, ["count", "the page, with pillar"])


def test_a_member_sees_no_drafts_of_their_own_organisation_through_the_api(client):
    organisation = OrganisationFactory()
    draft = CaseStudyFactory(organisation=organisation)
    figure(organisation, status=AnnualFigure.Status.DRAFT)
    client.force_login(member_of(organisation))
    assert get_json(client, "/api/v1/case-studies/")["count"] == 0
    assert get_json(client, "/api/v1/figures/")["count"] == 0
    get_json(client, f"/api/v1/case-studies/{draft.slug}/", status=404)
    assert CaseStudy.objects.count() == 1


def test_the_schema_generates_without_warnings(tmp_path):
    """Every field has a known type, so generated clients get real types, not strings."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "Open Government Licence v3.0" in (tmp_path / "schema.yaml").read_text()


def test_an_unknown_format_answers_400_json(client):
    data = get_json(client, "/api/v1/figures/", status=400, format="xml")
    assert "csv" in data["detail"]["format"]


def test_a_missing_item_says_so_plainly(client):
    data = get_json(client, "/api/v1/case-studies/no-such-case-study/", status=404)
    assert data["detail"] == "There is nothing at this address, or the page number is past the end."


def test_an_empty_csv_still_has_its_headings(client):
    response = client.get("/api/v1/figures/", {"format": "csv"})
    header = response.content.decode().splitlines()[0].split(",")
    assert header[:3] == ["id", "organisation.id", "organisation.name"]
    assert "organisation.region.code" in header


def test_every_answer_links_to_the_licence(client):
    response = client.get("/api/v1/measures/")
    assert 'rel="license"' in response["Link"]
    assert "open-government-licence/version/3" in response["Link"]
