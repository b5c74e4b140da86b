"""The evidence pages, the privacy notice, accessibility statement and cookies page in Welsh,
the Welsh names of the standard measures and maturity levels, and English left as it was.

Needs the compiled catalogue with this area's Welsh: `python scripts/welsh.py build`.
"""

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from evidence import reference_cy, years
from evidence.models import AnnualFigure, MaturityLevel, StandardMeasure
from tests.anchors.factories import OrganisationFactory, admin_of

from .factories import AnnualFigureFactory, CommitmentFactory, SignatureFactory, measure

pytestmark = pytest.mark.django_db
LAST_YEAR = years.current() - 1
WELSH_NAME = "Cyfran y gwariant heblaw cyflogau gyda chyflenwyr lleol"
ENGLISH_NAME = "Share of non-pay spend with local suppliers"


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A request to a /cy/ page leaves Welsh active in this thread: reset it, so `reverse` and
    the next test start in English."""
    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


def welsh(name: str, **kwargs) -> str:
    with translation.override("cy"):
        return reverse(name, kwargs=kwargs or None)


def english(name: str, **kwargs) -> str:
    with translation.override("en-gb"):
        return reverse(name, kwargs=kwargs or None)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


# --- Reference data ------------------------------------------------------------------------------


def test_the_seeded_measures_and_levels_have_their_welsh():
    assert measure("local-spend-share").name_cy == WELSH_NAME
    assert measure("carbon-saved").definition_cy.startswith("Tunelli o garbon deuocsid cyfatebol")
    assert not StandardMeasure.objects.filter(name_cy="").exists()
    starting = MaturityLevel.objects.get(pillar__slug="purchasing", level=1)
    assert starting.name_cy == "Dechrau arni"
    assert starting.statement_cy.startswith("Rydym yn gwybod yn fras")
    assert not MaturityLevel.objects.filter(statement_cy="").exists()


def test_filling_the_welsh_again_keeps_a_coordinators_edits_and_fills_only_blanks():
    StandardMeasure.objects.filter(slug="local-spend-share").update(name_cy="Gwariant lleol (cyfran)", definition_cy="")
    reference_cy.fill(StandardMeasure, MaturityLevel)
    edited = measure("local-spend-share")
    assert edited.name_cy == "Gwariant lleol (cyfran)"
    assert edited.definition_cy == reference_cy.MEASURES["local-spend-share"][1]


def test_a_measure_is_named_in_the_language_of_the_page():
    local = measure("local-spend-share")
    assert local.display_name == ENGLISH_NAME
    with translation.override("cy"):
        assert local.display_name == WELSH_NAME
        assert local.display_definition == local.definition_cy
    local.name_cy = ""  # a measure a coordinator added without Welsh keeps its English name
    with translation.override("cy"):
        assert local.display_name == ENGLISH_NAME


# --- Evidence pages ------------------------------------------------------------------------------


def test_the_measures_page_is_in_welsh_under_cy_with_welsh_measure_names(client):
    AnnualFigureFactory()
    page = text_of(client.get(welsh("evidence:measures")))
    assert '<html lang="cy"' in page
    assert "<h1>Mesurau safonol</h1>" in page
    assert WELSH_NAME in page and ENGLISH_NAME not in page
    assert "1 sefydliad wedi cyhoeddi ffigurau" in page
    assert "Canran (%)" in page and "Gorau po uchaf" in page


def test_the_measures_page_stays_in_english_without_the_prefix(client):
    AnnualFigureFactory()
    page = text_of(client.get(reverse("evidence:measures")))
    assert "<h1>Standard measures</h1>" in page
    assert ENGLISH_NAME in page and WELSH_NAME not in page
    assert "1 organisation published figures" in page and "Percentage (%)" in page


def test_a_comparison_in_welsh_has_welsh_headings_chart_words_and_plurals(client):
    for value in ("10", "20", "30", "40", "50"):
        AnnualFigureFactory(year=LAST_YEAR, value=Decimal(value))
    page = text_of(client.get(welsh("evidence:measure", slug="local-spend-share")))
    assert f"<h1>{WELSH_NAME}</h1>" in page
    assert "Mae 5 sefydliad wedi cyhoeddi ffigur." in page
    assert "Canolrif" in page and "Chwartel isaf" in page and "Chwartel uchaf" in page
    assert "Mae'r llinell doredig yn dangos y canolrif, 30%." in page  # UK number formatting kept
    assert "Hidlo sefydliadau" in page and "Blwyddyn ariannol" in page
    assert "Median" not in page and "dashed line" not in page


def test_a_bad_figure_is_answered_in_welsh_and_keeps_what_was_typed(client):
    organisation = OrganisationFactory()
    client.force_login(admin_of(organisation))
    url = welsh("evidence:figure_record", slug=organisation.slug)
    response = client.post(url, {"measure": "local-spend-share", "year": "", "value": "lots", "note": "", "source": ""})
    assert response.status_code == 200
    page = text_of(response)
    assert "Dewiswch y flwyddyn ariannol" in page  # a required field, in Welsh
    assert 'value="lots"' in page
    assert not AnnualFigure.objects.exists()

    response = client.post(url, {"measure": "local-spend-share", "year": str(LAST_YEAR), "value": "lots"})
    page = text_of(response)
    assert "Rhowch ganran fel rhif, er enghraifft 61" in page  # the unit's own error, in Welsh
    assert "Enter a percentage" not in page


def test_a_saved_figure_is_confirmed_in_welsh(client):
    organisation = OrganisationFactory()
    client.force_login(admin_of(organisation))
    url = welsh("evidence:figure_record", slug=organisation.slug)
    response = client.post(
        url, {"measure": "local-spend-share", "year": str(LAST_YEAR), "value": "31%"}, follow=True
    )
    page = text_of(response)
    assert f"Wedi cadw {WELSH_NAME} ar gyfer {years.label(LAST_YEAR)}. Mae'n ddrafft" in page
    assert response.redirect_chain[-1][0].startswith("/cy/")
    assert "<h1>Ffigurau blynyddol</h1>" in page and "Drafft" in page


def test_the_same_bad_figure_in_english_is_answered_in_english(client):
    organisation = OrganisationFactory()
    client.force_login(admin_of(organisation))
    url = reverse("evidence:figure_record", kwargs={"slug": organisation.slug})
    page = text_of(client.post(url, {"measure": "local-spend-share", "year": str(LAST_YEAR), "value": "lots"}))
    assert "Enter a percentage as a number, like 61" in page
    assert "Rhowch" not in page


def test_commitment_signatories_are_counted_with_welsh_plurals(client):
    one = SignatureFactory().commitment
    two = CommitmentFactory()
    SignatureFactory.create_batch(2, commitment=two)
    page = text_of(client.get(welsh("evidence:commitments")))
    assert "<h1>Ymrwymiadau</h1>" in page
    assert "1 llofnodwr" in page and "2 lofnodwr" in page
    in_english = text_of(client.get(english("evidence:commitments")))
    assert "1 signatory" in in_english and "2 signatories" in in_english
    assert one.title in page  # a coordinator's title stays as written


def test_the_self_assessment_levels_are_described_in_welsh(client):
    page = text_of(client.get(welsh("evidence:self_assessment_spread")))
    assert "<h1>Hunanasesu ar draws y rhwydwaith</h1>" in page
    assert "Lefel 1, Dechrau arni:" in page
    assert "Starting out" not in page


# --- The privacy notice, accessibility statement and cookies page -------------------------------


def test_the_privacy_notice_is_in_welsh_with_its_links_in_welsh(client):
    page = text_of(client.get(welsh("privacy")))
    assert "<h1>Hysbysiad preifatrwydd</h1>" in page
    assert "Beth rydym yn ei gadw amdanoch, a pham" in page
    assert "Eich hawliau, a sut i'w defnyddio" in page
    assert f'href="{welsh("cookies")}">dudalen cwcis</a>' in page
    assert f'href="{welsh("accounts:delete")}">dilëwch eich cyfrif</a>' in page
    assert "What we keep about you" not in page and "Your rights" not in page


def test_the_privacy_notice_in_english_is_unchanged(client):
    page = text_of(client.get(reverse("privacy")))
    assert "<h1>Privacy notice</h1>" in page
    assert f'<a href="{reverse("cookies")}">cookies page</a>' in page
    assert "Hysbysiad" not in page


def test_the_accessibility_statement_and_cookies_page_are_in_welsh(client):
    page = text_of(client.get(welsh("accessibility")))
    assert "chwyddo hyd at 400% heb i'r testun fynd oddi ar y sgrin" in page
    assert "Y weithdrefn orfodi" in page
    assert f'href="{welsh("privacy")}#who-we-are"' in page
    cookies = text_of(client.get(welsh("cookies")))
    assert "<h1>Cwcis</h1>" in cookies and "Dim cwcis dadansoddi na hysbysebu" in cookies
    assert "zoom in up to 400% without" in text_of(client.get(english("accessibility")))


# --- The open data API ---------------------------------------------------------------------------


def test_api_errors_keep_their_fields_and_the_api_answers_in_english_at_its_one_address(client):
    """The API lives outside the /cy/ prefix, so it answers in English whatever the browser
    prefers; its error details are translatable sentences all the same."""
    url = reverse("api:figures")
    expected = {
        "status": 400, "error": "Bad request",
        "detail": {"year": "Give a financial year by its starting year, like 2024."},
    }
    assert client.get(url, {"year": "soon"}).json() == expected
    assert client.get(url, {"year": "soon"}, HTTP_ACCEPT_LANGUAGE="cy").json() == expected
    with translation.override("cy"):
        assert translation.gettext("Give a financial year by its starting year, like 2024.") == (
            "Rhowch flwyddyn ariannol yn ôl y flwyddyn y mae'n dechrau, fel 2024."
        )


def test_the_use_this_data_page_is_in_welsh_and_its_endpoints_keep_their_one_address(client):
    page = text_of(client.get(welsh("api_docs")))
    assert "<h1>Defnyddio'r data hyn</h1>" in page
    assert "Drwydded Llywodraeth Agored v3.0" in page and "Pwyntiau terfyn" in page
    assert f'href="{english("api:figures")}"' in page and "/cy/api/v1/" not in page
    assert "<h1>Use this data</h1>" in text_of(client.get(english("api_docs")))
