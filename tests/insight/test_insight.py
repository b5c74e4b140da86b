"""Network insight: who sees which tables, what the numbers are, CSV downloads, the charts,
and a fixed number of queries whatever the size of the network."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anchors.models import Membership
from casestudies.models import CaseStudy
from casestudies.search import facet_summary, forget_summaries
from evidence.models import AnnualFigure, Commitment, CommitmentSignature, StandardMeasure
from insight.charts import bar_chart, line_chart, nice_ticks
from insight.db import percentile_cont
from insight.selectors import (
    commitments_covered,
    measures_covered,
    membership_growth,
    moderation_times,
    moderation_waits,
)
from insight.views import csv_cell
from network.models import Delivery, Digest, DigestPreference
from tests.anchors.factories import (
    MembershipFactory,
    OrganisationFactory,
    coordinator,
    lead_of,
    member_of,
    pillar,
    region,
)
from tests.casestudies.factories import (
    CaseStudyFactory,
    PublishedCaseStudyFactory,
    TransitionFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/insight/"
PUBLIC = [
    "Published case studies by pillar", "Published case studies by region", "Membership growth",
    "Standard measures with published figures", "Commitments and their signatories",
]
PRIVATE = ["Time to a moderation decision", "Digest reach"]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- Who sees what ------------------------------------------------------------------------------


def test_it_shows_a_visitor_the_public_tables_without_moderation_detail(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    for title in PUBLIC:
        assert title in text
    for title in PRIVATE:
        assert title not in text


def test_it_shows_a_member_the_public_tables_without_moderation_detail(client):
    client.force_login(member_of(OrganisationFactory()))
    text = client.get(PAGE).content.decode()
    assert "Published case studies by pillar" in text
    for title in PRIVATE:
        assert title not in text


@pytest.mark.parametrize("make", [lead_of, coordinator], ids=["regional lead", "coordinator"])
def test_it_shows_leads_and_coordinators_moderation_and_digest_detail(client, make):
    client.force_login(make())
    text = client.get(PAGE).content.decode()
    for title in PUBLIC + PRIVATE:
        assert title in text


def test_it_serves_a_public_table_as_csv_to_a_visitor(client):
    PublishedCaseStudyFactory(pillars=[pillar("purchasing")])
    response = client.get(reverse("insight:csv", kwargs={"key": "case-studies-by-pillar"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="case-studies-by-pillar.csv"'
    rows = csv_rows(response)
    assert rows[0] == ["Pillar", "Published case studies"]
    assert [pillar("purchasing").name, "1"] in rows


def test_it_sends_a_visitor_to_sign_in_for_moderation_csv(client):
    response = client.get(reverse("insight:csv", kwargs={"key": "moderation-times"}))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("key", ["moderation-times", "digest-reach"])
def test_it_refuses_a_member_the_moderation_and_digest_csv(client, key):
    client.force_login(member_of(OrganisationFactory()))
    assert client.get(reverse("insight:csv", kwargs={"key": key})).status_code == 403


@pytest.mark.parametrize("key", ["moderation-times", "digest-reach"])
def test_it_gives_a_lead_the_moderation_and_digest_csv(client, key):
    client.force_login(lead_of())
    response = client.get(reverse("insight:csv", kwargs={"key": key}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_it_answers_404_for_an_unknown_table(client):
    assert client.get("/insight/nothing-here.csv").status_code == 404


# --- The numbers --------------------------------------------------------------------------------


def _decided(organisation, *, submitted_at, decided_at, action="published"):
    case_study = CaseStudyFactory(organisation=organisation, status=CaseStudy.Status.PUBLISHED)
    TransitionFactory(case_study=case_study, action="submitted", from_status="draft", to_status="submitted",
                      at=submitted_at)
    TransitionFactory(case_study=case_study, action=action, from_status="submitted", to_status=action,
                      at=decided_at)
    return case_study


def test_moderation_times_give_the_median_and_90th_percentile_per_region_and_month():
    now = timezone.now()
    north = OrganisationFactory(region=region("Y63"))
    london = OrganisationFactory(region=region("Y56"))
    _decided(north, submitted_at=now - dt.timedelta(days=2), decided_at=now)
    _decided(north, submitted_at=now - dt.timedelta(days=4), decided_at=now, action="changes_requested")
    _decided(north, submitted_at=now - dt.timedelta(days=6), decided_at=now, action="rejected")
    _decided(london, submitted_at=now - dt.timedelta(hours=12), decided_at=now)
    # Not a decision: a draft started, and a submission still waiting.
    waiting = CaseStudyFactory(organisation=north, status=CaseStudy.Status.SUBMITTED)
    TransitionFactory(case_study=waiting, action="submitted", from_status="draft", to_status="submitted",
                      at=now - dt.timedelta(days=30))

    table = moderation_times()

    this_month = timezone.localtime(now).strftime("%b %Y")
    rows = {row[1]: row for row in table.rows}
    assert rows["North East and Yorkshire"] == [this_month, "North East and Yorkshire", 3, 4.0, 5.6]
    assert rows[region("Y56").name] == [this_month, region("Y56").name, 1, 0.5, 0.5]
    assert table.private


def test_moderation_times_measure_from_the_latest_submission_before_each_decision():
    now = timezone.now()
    case_study = _decided(OrganisationFactory(), submitted_at=now - dt.timedelta(days=10),
                          decided_at=now - dt.timedelta(days=8), action="changes_requested")
    TransitionFactory(case_study=case_study, action="submitted", from_status="changes_requested",
                      to_status="submitted", at=now - dt.timedelta(days=1))
    TransitionFactory(case_study=case_study, action="published", from_status="submitted",
                      to_status="published", at=now)
    # A decision whose submission came before the history read is left out, not mismatched.
    old = _decided(OrganisationFactory(), submitted_at=now - dt.timedelta(days=400),
                   decided_at=now - dt.timedelta(days=3))

    waits = moderation_waits(now - dt.timedelta(days=30))

    network = [row for row in waits if row[0] is None]
    assert sum(row[2] for row in network) == 2
    assert sorted(round(row[3] / 86400, 3) for row in network) in ([1.0, 2.0], [1.5])
    assert old.pk


def test_membership_growth_counts_verified_organisations_and_people_with_active_memberships():
    now = timezone.now()
    organisation = OrganisationFactory(decided_at=now)
    OrganisationFactory(decided_at=now - dt.timedelta(days=400))  # verified before the window
    MembershipFactory(organisation=organisation, decided_at=now)
    person = UserFactory()
    MembershipFactory(organisation=organisation, user=person, decided_at=now)
    MembershipFactory(organisation=OrganisationFactory(decided_at=now), user=person, decided_at=now)
    MembershipFactory(organisation=organisation, status=Membership.Status.REQUESTED)
    MembershipFactory(organisation=organisation, status=Membership.Status.LEFT,
                      decided_at=now - dt.timedelta(days=90), ended_at=now - dt.timedelta(days=1))

    table = membership_growth()

    first, last = table.rows[0], table.rows[-1]
    assert last[1:] == [3, 2]  # three organisations; two people (one with two memberships)
    assert first[1] == 1
    # The person who left yesterday was counted at the end of earlier months, not this one.
    three_months_ago = table.rows[-3]
    assert three_months_ago[2] == 1


def test_digest_reach_counts_sent_failed_and_since_unsubscribed_per_digest(client):
    digest = Digest.objects.create(subject="=HYPERLINK(\"http://evil\")", status=Digest.Status.SENT,
                                   started_at=timezone.now())
    stayed, left, bounced = UserFactory(), UserFactory(), UserFactory()
    Delivery.objects.create(digest=digest, recipient=stayed, status=Delivery.Status.SENT)
    Delivery.objects.create(digest=digest, recipient=left, status=Delivery.Status.SENT)
    Delivery.objects.create(digest=digest, recipient=bounced, status=Delivery.Status.FAILED)
    DigestPreference.objects.create(user=left, coordinator_digests=False)
    DigestPreference.objects.create(user=stayed, frequency=DigestPreference.Frequency.NEVER)  # other kind
    Digest.objects.create(subject="Still a draft")

    client.force_login(coordinator())
    rows = csv_rows(client.get(reverse("insight:csv", kwargs={"key": "digest-reach"})))

    assert rows[0][0] == "Digest"
    assert len(rows) == 2
    # The subject starts with "=": a spreadsheet must read it as text, not run it.
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1][3:] == ["2", "1", "1"]


def _figure(organisation, slug, *, year=2024, status=AnnualFigure.Status.PUBLISHED):
    return AnnualFigure.objects.create(organisation=organisation, measure=StandardMeasure.objects.get(slug=slug),
                                       year=year, value=10, status=status)


def test_measures_covered_count_verified_organisations_with_published_figures():
    counted = OrganisationFactory()
    _figure(counted, "local-spend-share", year=2023)
    _figure(counted, "local-spend-share", year=2024)  # a second year is still one organisation
    _figure(OrganisationFactory(), "local-spend-share")
    _figure(OrganisationFactory(), "local-spend-share", status=AnnualFigure.Status.DRAFT)
    _figure(OrganisationFactory(status="pending"), "local-spend-share")
    _figure(counted, "local-spend")

    rows = {row[0]: row[2] for row in measures_covered().rows}

    assert rows[StandardMeasure.objects.get(slug="local-spend-share").name] == 2
    assert rows[StandardMeasure.objects.get(slug="local-spend").name] == 1
    assert sum(rows.values()) == 3


def test_commitments_count_signatories_from_verified_organisations():
    commitment = Commitment.objects.create(
        title="Buy local", slug="buy-local", measure=StandardMeasure.objects.get(slug="local-spend-share"),
        target_value=50, target_date=dt.date(2028, 3, 31),
    )
    Commitment.objects.create(title="Nobody yet", slug="nobody-yet", target_value=1,
                              measure=StandardMeasure.objects.get(slug="local-spend"), target_date=dt.date(2029, 3, 31))
    for organisation in (OrganisationFactory(), OrganisationFactory(), OrganisationFactory(status="pending")):
        CommitmentSignature.objects.create(commitment=commitment, organisation=organisation)

    table = commitments_covered()

    assert table.rows[0] == ["Buy local", "Share of non-pay spend with local suppliers", "50%", "31 March 2028", 2]
    assert table.rows[1][4] == 0


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(text):
    assert csv_cell(text) == "'" + text


def test_csv_cells_that_are_plain_stay_as_they_are():
    assert csv_cell("North East") == "North East"
    assert csv_cell(12) == "12"
    assert csv_cell(None) == ""


# --- Charts ---------------------------------------------------------------------------------------


def test_each_chart_is_an_image_with_a_title_and_description_and_a_table_beside_it(client):
    PublishedCaseStudyFactory()
    client.force_login(coordinator())
    text = client.get(PAGE).content.decode()
    assert text.count('<svg class="app-chart" role="img" aria-labelledby="chart-') == 5
    for chart_id in ["chart-pillar", "chart-region", "chart-membership", "chart-measures", "chart-moderation"]:
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in text
        assert f'<title id="{chart_id}-title">' in text
    assert "<script>" not in text and "style=" not in text
    assert text.count("Download this table as CSV") == text.count("<table")


def test_nice_ticks_start_at_zero_and_reach_the_highest_value():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(7) == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert nice_ticks(1000)[-1] >= 1000


def test_a_bar_chart_scales_bars_to_the_longest():
    chart = bar_chart(id="c", title="T", description="D", items=[("A", 10), ("B", 5)], axis_label="N")
    assert chart.bars[0]["length"] == 2 * chart.bars[1]["length"]


def test_a_line_chart_leaves_a_gap_for_a_missing_value():
    chart = line_chart(id="c", title="T", description="D", x_labels=["Jan", "Feb", "Mar"],
                       series=[("S", [1, None, 3])], y_axis_label="N")
    assert len(chart.series[0]["points"]) == 2


def test_percentile_interpolates_as_postgresql_does():
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([10], 0.9) == 10
    assert percentile_cont([], 0.5) is None


# --- Queries --------------------------------------------------------------------------------------


def _network_of(n: int) -> None:
    now = timezone.now()
    commitment, _ = Commitment.objects.get_or_create(
        slug="buy-local", defaults={"title": "Buy local", "target_value": 50, "target_date": dt.date(2028, 3, 31),
                                    "measure": StandardMeasure.objects.get(slug="local-spend-share")},
    )
    for i in range(n):
        organisation = OrganisationFactory(decided_at=now - dt.timedelta(days=30 * (i % 12)))
        _figure(organisation, "local-spend-share")
        CommitmentSignature.objects.create(commitment=commitment, organisation=organisation)
        MembershipFactory(organisation=organisation, decided_at=now)
        PublishedCaseStudyFactory(organisation=organisation)
        _decided(organisation, submitted_at=now - dt.timedelta(days=i % 9 + 1), decided_at=now)
        digest = Digest.objects.create(subject=f"Digest {i}", status=Digest.Status.SENT, started_at=now)
        Delivery.objects.create(digest=digest, recipient=UserFactory(), status=Delivery.Status.SENT)


EXPECTED = [
    "the session", "the user",
    "is the person a coordinator",
    # (the published counts per pillar and region come from the case studies' cached summary)
    "pillars",
    "regions",
    "organisations verified at the end of each month",
    "people with an active membership at the end of each month",
    "moderation waits per region and month, and across the network (one pass, a window function)",
    "standard measures with how many organisations published figures",
    "commitments with their signatories",
    "digests with their sent, failed and unsubscribed counts",
]


def test_tables_are_kept_in_the_cache_so_a_second_view_runs_no_aggregation(client):
    client.force_login(coordinator())
    _network_of(2)
    client.get(PAGE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    # 1: the user (the session itself is read from the cache)
    # 2: their roles, all in one query: is the person a coordinator (or a lead)?
    assert len(queries.captured_queries) == 2, [q["sql"] for q in queries.captured_queries]


def test_the_refresh_task_rebuilds_every_table_into_the_cache(client):
    from insight.selectors import TABLES, table
    from insight.tasks import refresh_tables

    PublishedCaseStudyFactory(pillars=[pillar("purchasing")])
    client.get(PAGE)  # kept: one published case study
    PublishedCaseStudyFactory(pillars=[pillar("purchasing")])
    forget_summaries()  # as the case study services do after a publish

    refresh_tables.delay()

    assert [pillar("purchasing").name, 2] in table("case-studies-by-pillar").rows
    assert all(table(key).built_at for key in TABLES)


def test_the_insight_page_runs_the_same_queries_for_1_row_and_for_50(client):
    """Prevent an n+1: every table is a GROUP BY or conditional count in the database."""
    client.force_login(coordinator())
    for n in (1, 49):
        _network_of(n)
        cache.clear()
        facet_summary()  # cached as the case study list leaves it; its own tests count it
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PAGE)
        assert response.status_code == 200
        assert len(queries.captured_queries) == len(EXPECTED), "\n".join(
            f"{i}. {q['sql'][:200]}" for i, q in enumerate(queries.captured_queries, 1)
        )
