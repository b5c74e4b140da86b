from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anchors.models import Organisation
from evidence import years
from evidence.models import AnnualFigure, CommitmentSignature, SelfAssessment
from tests.anchors.factories import OrganisationFactory, admin_of, coordinator, member_of, region
from tests.factories import UserFactory

from .factories import AnnualFigureFactory, CommitmentFactory, SignatureFactory, measure

pytestmark = pytest.mark.django_db
LAST_YEAR = years.current() - 1


@pytest.fixture
def org():
    return OrganisationFactory(name="Northumbria Healthcare NHS Foundation Trust")


@pytest.fixture
def admin(org):
    return admin_of(org)


def evidence(name, **kwargs):
    return reverse(f"evidence:{name}", kwargs=kwargs or None)


def figure_data(**overrides):
    return {"measure": "local-spend-share", "year": str(LAST_YEAR), "value": "31%", "note": "", "source": "", **overrides}


# --- Measures and comparisons ------------------------------------------------------------------


def test_visitors_see_the_catalogue_of_measures(client):
    AnnualFigureFactory()
    page = client.get(evidence("measures")).content.decode()
    assert "Share of non-pay spend with local suppliers" in page and "1 organisation published figures" in page
    assert "Purchasing locally and for social benefit" in page


def test_a_measure_compares_published_figures_with_median_and_quartiles(client):
    for value in ("10", "20", "30", "40", "50"):
        AnnualFigureFactory(year=LAST_YEAR, value=Decimal(value))
    AnnualFigureFactory(year=LAST_YEAR, value=Decimal("99"), status=AnnualFigure.Status.DRAFT)
    page = client.get(evidence("measure", slug="local-spend-share")).content.decode()
    assert "5 organisations published a figure" in page
    assert "<dd class=\"nhsuk-summary-list__value\">30%</dd>" in page  # the median
    assert "20%" in page and "40%" in page  # the quartiles
    assert "99%" not in page  # drafts are never shown
    assert "<svg" in page and 'role="img"' in page and "The dashed line marks the median, 30%." in page


def test_figures_of_unverified_organisations_are_not_compared(client):
    AnnualFigureFactory(year=LAST_YEAR, value=Decimal("77"), organisation=OrganisationFactory(status=Organisation.Status.PENDING))
    page = client.get(evidence("measure", slug="local-spend-share")).content.decode()
    assert "77%" not in page and "No organisation has published" in page


def test_the_comparison_filters_by_region_and_type(client):
    AnnualFigureFactory(year=LAST_YEAR, value=Decimal("12"), organisation=OrganisationFactory(name="North trust"))
    AnnualFigureFactory(
        year=LAST_YEAR, value=Decimal("34"),
        organisation=OrganisationFactory(name="London board", region=region("Y56"), type=Organisation.Type.ICB),
    )
    url = evidence("measure", slug="local-spend-share")
    page = client.get(url, {"region": "london"}).content.decode()
    assert "London board" in page and "North trust" not in page
    page = client.get(url, {"type": "acute_trust", "year": LAST_YEAR}).content.decode()
    assert "North trust" in page and "London board" not in page


def test_an_unknown_measure_is_not_found(client):
    assert client.get(evidence("measure", slug="nothing")).status_code == 404


# --- Recording figures -------------------------------------------------------------------------


def test_an_admin_records_a_figure(client, org, admin):
    client.force_login(admin)
    response = client.post(evidence("figure_record", slug=org.slug), figure_data(value="31.5%", source="Annual report"))
    assert response.status_code == 302
    figure = AnnualFigure.objects.get()
    assert figure.value == Decimal("31.5") and figure.status == "draft" and figure.source == "Annual report"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": "140%"}, "Enter a percentage between 0 and 100"),
        ({"measure": "apprenticeship-starts", "value": "£420"}, "Enter a whole number, not a sum of money"),
        ({"measure": "apprenticeship-starts", "value": "-3"}, "Enter a whole number of 0 or more"),
        ({"year": str(years.current() + 1)}, "has not started yet"),
        ({"value": ""}, "Enter the value"),
    ],
)
def test_bad_input_is_answered_in_the_form_keeping_what_was_typed(client, org, admin, overrides, message):
    client.force_login(admin)
    response = client.post(evidence("figure_record", slug=org.slug), figure_data(note="Typed by hand", **overrides))
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and message in page
    assert "Typed by hand" in page
    if overrides.get("value"):
        assert f'value="{overrides["value"]}"' in page
    assert not AnnualFigure.objects.exists()


def test_members_see_drafts_but_cannot_record(client, org, admin):
    AnnualFigureFactory(organisation=org, status="draft", value=Decimal("44"))
    member = member_of(org)
    client.force_login(member)
    page = client.get(evidence("organisation_figures", slug=org.slug)).content.decode()
    assert "44%" in page and "Draft" in page and "Record a figure" not in page
    assert client.get(evidence("figure_record", slug=org.slug)).status_code == 403
    assert client.post(evidence("figure_record", slug=org.slug), figure_data()).status_code == 403
    assert client.post(evidence("figures_publish", slug=org.slug), {"year": LAST_YEAR}).status_code == 403


def test_outsiders_get_403_and_visitors_are_sent_to_sign_in(client, org):
    for outsider in (UserFactory(), coordinator()):  # drafts are the organisation's own, even to coordinators
        client.force_login(outsider)
        assert client.get(evidence("organisation_figures", slug=org.slug)).status_code == 403
        assert client.get(evidence("self_assessment", slug=org.slug)).status_code == 403
    client.logout()
    response = client.get(evidence("organisation_figures", slug=org.slug))
    assert response.status_code == 302 and "/account/login/" in response.url


def test_an_unverified_organisations_figures_are_not_found_by_outsiders(client):
    pending = OrganisationFactory(status=Organisation.Status.PENDING)
    client.force_login(UserFactory())
    assert client.get(evidence("organisation_figures", slug=pending.slug)).status_code == 404


def test_an_admin_publishes_a_year_and_the_profile_shows_it(client, org, admin, django_capture_on_commit_callbacks):
    AnnualFigureFactory(organisation=org, status="draft", year=LAST_YEAR, value=Decimal("44"))
    assert "44%" not in client.get(org.get_absolute_url()).content.decode()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):  # publishing retires cached pages on commit
        response = client.post(evidence("figures_publish", slug=org.slug), {"year": LAST_YEAR, "action": "publish"})
    assert response.status_code == 302 and AnnualFigure.objects.get().is_published
    client.logout()
    page = client.get(org.get_absolute_url()).content.decode()
    assert "44%" in page and years.label(LAST_YEAR) in page


def test_publishing_a_future_year_is_refused(client, org, admin):
    client.force_login(admin)
    response = client.post(evidence("figures_publish", slug=org.slug), {"year": years.current() + 1}, follow=True)
    assert "has not started yet" in response.content.decode()


def test_an_admin_removes_a_figure_of_their_own_organisation_only(client, org, admin):
    other = AnnualFigureFactory()
    mine = AnnualFigureFactory(organisation=org)
    client.force_login(admin)
    assert client.post(evidence("figure_delete", slug=org.slug, pk=other.pk)).status_code == 404
    assert client.post(evidence("figure_delete", slug=org.slug, pk=mine.pk)).status_code == 302
    assert list(AnnualFigure.objects.all()) == [other]


# --- Commitments -------------------------------------------------------------------------------


def test_an_admin_signs_and_progress_shows_from_published_figures(client, org, admin):
    commitment = CommitmentFactory(title="Ten per cent from the most deprived areas")
    AnnualFigureFactory(organisation=org, measure=measure("hires-most-deprived-areas-share"), year=LAST_YEAR, value=Decimal("12"))
    client.force_login(admin)
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Sign the commitment" in page
    response = client.post(evidence("commitment_sign", slug=commitment.slug), {"organisation": org.slug})
    assert response.status_code == 302 and CommitmentSignature.objects.filter(organisation=org).exists()
    client.logout()
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert org.name in page and "12%" in page and "Target met" in page
    assert "Ten per cent from the most deprived areas" in client.get(org.get_absolute_url()).content.decode()


def test_signing_without_choosing_an_organisation_is_answered_in_the_form(client, admin):
    admin_of(OrganisationFactory(name="A second trust"), user=admin)
    commitment = CommitmentFactory()
    client.force_login(admin)
    response = client.post(evidence("commitment_sign", slug=commitment.slug), {})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and "Select the organisation signing" in page
    assert not CommitmentSignature.objects.exists()


def test_signing_twice_is_refused_with_a_message(client, org, admin):
    signature = SignatureFactory(organisation=org)
    client.force_login(admin)
    response = client.post(evidence("commitment_sign", slug=signature.commitment.slug), {"organisation": org.slug}, follow=True)
    assert "has already signed" in response.content.decode()
    assert CommitmentSignature.objects.count() == 1


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_people_who_are_not_admins_cannot_sign(client, org, who):
    commitment = CommitmentFactory()
    client.force_login(member_of(org) if who == "member" else UserFactory())
    assert "Sign the commitment" not in client.get(commitment.get_absolute_url()).content.decode()
    assert client.post(evidence("commitment_sign", slug=commitment.slug), {"organisation": org.slug}).status_code == 403
    assert not CommitmentSignature.objects.exists()


def test_visitors_are_sent_to_sign_in_to_sign(client, org):
    commitment = CommitmentFactory()
    response = client.post(evidence("commitment_sign", slug=commitment.slug), {"organisation": org.slug})
    assert response.status_code == 302 and "/account/login/" in response.url


def test_an_admin_withdraws_and_a_member_cannot(client, org, admin):
    signature = SignatureFactory(organisation=org)
    url = evidence("commitment_withdraw", slug=signature.commitment.slug, organisation_slug=org.slug)
    client.force_login(member_of(org))
    assert client.post(url).status_code == 403
    client.force_login(admin)
    assert client.post(url).status_code == 302
    assert not CommitmentSignature.objects.exists()


def test_the_list_of_commitments_counts_signatories(client):
    signature = SignatureFactory()
    SignatureFactory(commitment=signature.commitment)
    page = client.get(evidence("commitments")).content.decode()
    assert signature.commitment.title in page and "2 signatories" in page


# --- Self-assessment ---------------------------------------------------------------------------


def assessment_data(level="3", **overrides):
    data = {"year": str(LAST_YEAR)}
    for slug in ("purchasing", "workforce", "estates", "environment", "partnership"):
        data[f"pillar_{slug}"] = level
    data.update(overrides)
    return data


def test_an_admin_completes_the_self_assessment_and_the_profile_shows_it(client, org, admin):
    client.force_login(admin)
    assert client.get(evidence("self_assessment", slug=org.slug)).status_code == 200
    response = client.post(evidence("self_assessment", slug=org.slug), assessment_data(level="4"))
    assert response.status_code == 302
    assert set(SelfAssessment.objects.get().answers.values_list("level", flat=True)) == {4}
    client.logout()
    page = client.get(org.get_absolute_url()).content.decode()
    assert "Self-assessment" in page and "Level 4" in page


def test_a_missing_answer_or_future_year_is_answered_in_the_form(client, org, admin):
    client.force_login(admin)
    data = assessment_data(year=str(years.current() + 1))
    del data["pillar_estates"]
    page = client.post(evidence("self_assessment", slug=org.slug), data).content.decode()
    assert "There is a problem" in page and "has not started yet" in page
    assert "Select the statement that best describes your work on using buildings" in page
    assert not SelfAssessment.objects.exists()


def test_a_member_cannot_complete_the_self_assessment(client, org):
    client.force_login(member_of(org))
    assert client.get(evidence("self_assessment", slug=org.slug)).status_code == 403
    assert client.post(evidence("self_assessment", slug=org.slug), assessment_data()).status_code == 403


def _assess(organisation, level):
    from evidence.services import self_assessment_complete

    from .test_services import all_levels

    self_assessment_complete(organisation=organisation, year=LAST_YEAR, levels=all_levels(level), by=admin_of(organisation))


def test_the_regional_spread_is_hidden_below_five_organisations(client):
    for level in (1, 2, 3, 4):
        _assess(OrganisationFactory(region=region("Y56")), level)
    page = client.get(evidence("self_assessment_spread")).content.decode()
    assert "Fewer than 5 answered: not shown" in page
    _assess(OrganisationFactory(region=region("Y56")), 4)
    page = client.get(evidence("self_assessment_spread")).content.decode()
    assert "Fewer than 5 answered" not in page
    london = page[page.index(">London<"):]
    # Answered, then levels 1 to 5: one organisation each at 1, 2 and 3, two at 4, none at 5.
    cells = [c.rsplit(">", 1)[1] for c in london.split("</td>")[:6]]
    assert cells == ["5", "1", "1", "1", "2", "0"]


# --- Queries -----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_comparison_runs_the_same_queries_for_1_and_50_rows(client):
    """Prevent an n+1. Queries: the measure; the years with figures; the values for the median and
    quartiles; the count for the paginator; the page of figures with their organisations and
    regions; the regions for the filter, counted (to choose the checkboxes' size) then listed."""
    url = evidence("measure", slug="local-spend-share")
    AnnualFigureFactory(year=LAST_YEAR)
    one = _queries(client, url)
    for _ in range(49):
        AnnualFigureFactory(year=LAST_YEAR)
    assert _queries(client, url) == one == 7


def test_the_catalogue_runs_the_same_queries_for_1_and_50_figures(client):
    """Queries: the measures with their pillars and counts of organisations."""
    AnnualFigureFactory()
    one = _queries(client, evidence("measures"))
    for _ in range(49):
        AnnualFigureFactory()
    assert _queries(client, evidence("measures")) == one == 1


def test_the_commitments_list_runs_the_same_queries_for_1_and_50(client):
    """Queries: the count for the paginator; the page of commitments with measures, pillars and
    signatory counts."""
    SignatureFactory()
    one = _queries(client, evidence("commitments"))
    for _ in range(49):
        SignatureFactory()
    assert _queries(client, evidence("commitments")) == one == 2


def test_a_commitment_runs_the_same_queries_for_1_and_50_signatories(client):
    """Queries: the commitment with its measure and pillar; the count for the paginator; the page
    of signatures with organisations and regions; the latest published figures of those
    organisations."""
    commitment = CommitmentFactory()
    AnnualFigureFactory(organisation=SignatureFactory(commitment=commitment).organisation, measure=commitment.measure)
    one = _queries(client, commitment.get_absolute_url())
    for _ in range(49):
        AnnualFigureFactory(organisation=SignatureFactory(commitment=commitment).organisation, measure=commitment.measure)
    assert _queries(client, commitment.get_absolute_url()) == one == 4


def test_an_organisations_figures_page_runs_the_same_queries_for_1_and_50(client, org, admin):
    """Queries: the session and the person; the organisation; the person's memberships (member
    check); whether they are an admin; every figure with its measure and pillar."""
    client.force_login(admin)
    AnnualFigureFactory(organisation=org, year=2016)
    url = evidence("organisation_figures", slug=org.slug)
    one = _queries(client, url)
    for year in range(2017, 2017 + 4):
        for slug in ("local-spend", "apprenticeship-starts", "carbon-saved", "estate-community-use", "local-spend-share",
                     "social-value-delivered", "real-living-wage-suppliers", "hires-most-deprived-areas",
                     "people-supported-into-work", "grants-to-voluntary-sector", "carbon-footprint", "social-value-weighting"):
            AnnualFigureFactory(organisation=org, year=year, measure=measure(slug))
    assert AnnualFigure.objects.count() >= 49
    assert _queries(client, url) == one


def test_the_regional_spread_runs_the_same_queries_for_1_and_many_organisations(client):
    """Queries: the years with answers; the pillars in the matrix; the count of organisations
    answering per region; the answers counted by region, pillar and level; the regions; the
    matrix of levels for the key."""
    _assess(OrganisationFactory(), 2)
    one = _queries(client, evidence("self_assessment_spread"))
    for _ in range(10):
        _assess(OrganisationFactory(), 3)
    assert _queries(client, evidence("self_assessment_spread")) == one == 6


def test_the_profile_section_runs_the_same_queries_for_1_and_many_rows(client, org):
    """The evidence section adds: the published figures with their measures; the signatures with
    their commitments; the latest figures for those commitments; the self-assessments; their
    answers; the pillars of the matrix; whether the person is an admin. Signed in, so the page
    is built each time rather than served from the visitors' cache."""
    client.force_login(member_of(org))
    commitment = CommitmentFactory()
    SignatureFactory(organisation=org, commitment=commitment)
    AnnualFigureFactory(organisation=org, measure=commitment.measure)
    _assess(org, 2)
    one = _queries(client, org.get_absolute_url())
    for year in range(2016, 2022):
        AnnualFigureFactory(organisation=org, year=year, measure=measure("carbon-saved"))
        SignatureFactory(organisation=org)
    page = client.get(org.get_absolute_url()).content.decode()
    assert "Carbon saved" in page and page.count("Signed ") == 7
    assert _queries(client, org.get_absolute_url()) == one
