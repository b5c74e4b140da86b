"""The insight page in Welsh: headings, table words, chart words, month names, pillar and measure
names; each language's tables kept apart in the cache, so a Welsh page never shows a table built
in English (nor the other way round).

Needs the compiled catalogue with this area's Welsh: `python scripts/welsh.py build`.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from evidence.models import AnnualFigure, Commitment, CommitmentSignature, StandardMeasure
from insight.selectors import TABLES, cache_key, commitments_covered, membership_growth, table
from insight.tasks import refresh_tables
from tests.anchors.factories import OrganisationFactory, coordinator, pillar
from tests.casestudies.factories import PublishedCaseStudyFactory

pytestmark = pytest.mark.django_db

WELSH_TITLES = [
    "Astudiaethau achos wedi'u cyhoeddi fesul colofn", "Astudiaethau achos wedi'u cyhoeddi fesul rhanbarth",
    "Twf aelodaeth", "Mesurau safonol â ffigurau wedi'u cyhoeddi", "Ymrwymiadau a'u llofnodwyr",
]
ENGLISH_TITLES = [
    "Published case studies by pillar", "Published case studies by region", "Membership growth",
    "Standard measures with published figures", "Commitments and their signatories",
]
MEASURE_CY = "Cyfran y gwariant heblaw cyflogau gyda chyflenwyr lleol"
MEASURE_EN = "Share of non-pay spend with local suppliers"


@pytest.fixture(autouse=True)
def _english_and_empty_cache_between_tests():
    translation.activate("en-gb")
    cache.clear()
    yield
    translation.activate("en-gb")


def page_in(client, language: str) -> str:
    with translation.override(language):
        url = reverse("insight:insight")
    return html.unescape(client.get(url).content.decode())


def _evidence():
    organisation = OrganisationFactory()
    AnnualFigure.objects.create(
        organisation=organisation, measure=StandardMeasure.objects.get(slug="local-spend-share"), year=2024,
        value=10, status=AnnualFigure.Status.PUBLISHED,
    )
    commitment = Commitment.objects.create(
        title="Buy local", slug="buy-local", measure=StandardMeasure.objects.get(slug="local-spend-share"),
        target_value=50, target_date=dt.date(2028, 3, 31),
    )
    CommitmentSignature.objects.create(commitment=commitment, organisation=organisation)


def test_the_insight_page_is_in_welsh_under_cy(client):
    PublishedCaseStudyFactory(pillars=[pillar("purchasing")])
    _evidence()
    page = page_in(client, "cy")
    assert '<html lang="cy"' in page
    assert "<h1>Mewnwelediad y rhwydwaith</h1>" in page
    for title in WELSH_TITLES:
        assert title in page
    for title in ENGLISH_TITLES:
        assert title not in page
    assert pillar("purchasing").name_cy in page  # pillar names in Welsh in the table and chart
    assert MEASURE_CY in page and MEASURE_EN not in page
    assert "Mae 1 astudiaeth achos wedi'i chyhoeddi." in page  # counted with the Welsh plural
    assert "Lawrlwytho'r tabl hwn fel CSV" in page
    assert '<a href="/cy/api/">Defnyddiwch y data hyn</a> drwy\'r API data agored.' in page  # the Welsh docs page
    assert "Cyfrifwyd y ffigurau am" in page
    assert "31 Mawrth 2028" in page  # dates in Welsh
    with translation.override("cy"):
        this_month = date_format(timezone.localdate(), "M Y")  # "Tach 2026"
    assert this_month in page  # month names in Welsh in the growth table


def test_the_english_page_after_a_welsh_one_is_still_english(client):
    """Tables are kept per language: the Welsh page fills the cache with Welsh tables, and the
    English page that follows builds and keeps its own."""
    _evidence()
    assert "Twf aelodaeth" in page_in(client, "cy")
    english = page_in(client, "en-gb")
    assert "<h1>Network insight</h1>" in english
    for title in ENGLISH_TITLES:
        assert title in english
    assert "Twf aelodaeth" not in english and MEASURE_CY not in english
    assert MEASURE_EN in english
    again = page_in(client, "cy")  # and the Welsh ones are still there, in Welsh
    assert "Twf aelodaeth" in again and "Membership growth" not in again


def test_the_refresh_task_builds_every_table_in_every_language():
    _evidence()
    refresh_tables.delay()
    for key in TABLES:
        assert cache.get(cache_key(key, "en-gb")) is not None
        assert cache.get(cache_key(key, "cy")) is not None
    with translation.override("cy"):
        assert table("membership-growth").title == "Twf aelodaeth"
        assert table("measures-covered").rows[0][0] == StandardMeasure.objects.order_by(
            "pillar__position", "position", "name"
        ).first().name_cy
    assert table("membership-growth").title == "Membership growth"


def test_welsh_tables_use_welsh_words_for_columns_months_and_dates_with_the_same_numbers():
    _evidence()
    with translation.override("cy"):
        growth = membership_growth()
        commitments = commitments_covered()
    assert growth.columns == ["Mis", "Sefydliadau wedi'u dilysu", "Pobl ag aelodaeth weithredol"]
    assert [s["name"] for s in growth.chart.series] == ["Pobl", "Sefydliadau"]
    assert commitments.columns == ["Ymrwymiad", "Mesur", "Targed", "Erbyn", "Llofnodwyr"]
    assert commitments.rows[0] == ["Buy local", MEASURE_CY, "50%", "31 Mawrth 2028", 1]
    english = commitments_covered()
    assert english.rows[0] == ["Buy local", MEASURE_EN, "50%", "31 March 2028", 1]
    assert english.columns == ["Commitment", "Measure", "Target", "By", "Signatories"]


def test_the_welsh_page_shows_leads_the_private_tables_in_welsh(client):
    client.force_login(coordinator())
    page = page_in(client, "cy")
    assert "Amser hyd at benderfyniad cymedroli" in page and "Cyrhaeddiad crynodebau" in page
    assert "Does dim crynodebau wedi'u hanfon eto." in page
    assert "Time to a moderation decision" not in page
