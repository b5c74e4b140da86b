"""Fixes from a walkthrough of the case-study and resource pages:

1. Language of parts (WCAG 3.1.2): what a member wrote keeps the language it was written in, so
   an English case study on a Welsh page (and a Welsh one on an English page) is marked with
   its own lang and read aloud right.
2. (browser: tests/e2e/test_phone_tables_casestudies.py) tables fit a phone.
3. Resource cards name the maker, its region only when it is on the network, and the
   resource's own date, the same on the library and in search results.
4. "Use this data" keeps a Welsh reader in Welsh.
5. An unknown kind in the search's address is ignored, as other unknown filter values are.
"""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.urls import reverse

from casestudies import services
from casestudies.models import CaseStudy, Resource
from tests.anchors.factories import OrganisationFactory, member_of, pillar, region
from tests.factories import ResourceFactory

from .factories import OutcomeMeasureFactory, PublishedCaseStudyFactory
from .test_views import form_data

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture(autouse=True)
def _commit_at_once(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


class _Langs(HTMLParser):
    """The language in force (the nearest lang attribute) around each piece of text."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str | None, bool]] = []
        self.texts: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            attrs = dict(attrs)
            self.stack.append((tag, attrs.get("lang"), "nhsuk-u-visually-hidden" in (attrs.get("class") or "")))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        # Only what is shown: the save button (templates/network/_save_button.html) repeats the
        # title for screen readers and is marked by its own owner.
        if data.strip() and not any(hidden for _tag, _lang, hidden in self.stack):
            lang = next((lang for _tag, lang, _hidden in reversed(self.stack) if lang), "")
            self.texts.append((data, lang))


def langs_of(page: str, text: str) -> set[str]:
    """The languages every appearance of `text` on the page is read in (body only)."""
    parser = _Langs()
    parser.feed(page[page.index("<body"):])
    found = {lang for data, lang in parser.texts if text in data}
    assert found, f"{text!r} is not on the page"
    return found


def welsh_member(org):
    person = member_of(org)
    person.language = "cy"
    person.save(update_fields=["language"])
    return person


# --- 1. The language a thing is written in -----------------------------------------------------


def test_a_case_study_is_written_in_its_author_s_language_unless_they_say_otherwise(client):
    org = OrganisationFactory()
    cymraeg = welsh_member(org)
    content = {"title": "Prynu'n lleol", "summary": "Sut y gwnaethom wario'n lleol.", "pillars": [pillar().pk]}
    assert services.case_study_create(organisation=org, by=cymraeg, content=content).language == "cy"
    assert services.case_study_create(organisation=org, by=member_of(org), content=content).language == "en-gb"

    # The form offers the choice, the author's language chosen already, and keeps what is chosen.
    client.force_login(cymraeg)
    page = client.get(reverse("casestudies:create")).content.decode()
    assert "Language this is written in" in page
    assert re.search(r'<input[^>]*name="language"[^>]*value="cy"[^>]*checked', page)
    assert not re.search(r'<input[^>]*name="language"[^>]*value="en-gb"[^>]*checked', page)
    # Each language named in its own language.
    assert langs_of(page, "Cymraeg") == {"cy"} and langs_of(page, "English") == {"en-gb"}
    client.post(reverse("casestudies:create"), form_data(organisation=org.pk, title="Gowns made locally",
                                                         language="en-gb"))
    case_study = CaseStudy.objects.get(title="Gowns made locally")
    assert case_study.language == "en-gb"
    client.post(reverse("casestudies:edit", args=[case_study.slug]), form_data(title="Gowns made locally",
                                                                              language="cy"))
    case_study.refresh_from_db()
    assert case_study.language == "cy"


def test_a_resource_is_written_in_its_suggester_s_language_and_the_form_changes_it(client):
    org = OrganisationFactory()
    cymraeg = welsh_member(org)
    content = {"kind": "guide", "title": "Canllaw", "summary": "Canllaw byr.", "url": "https://example.org/",
               "pillars": [pillar().pk], "tags": []}
    resource = services.resource_suggest(organisation=org, by=cymraeg, content=content)
    assert resource.language == "cy"

    client.force_login(cymraeg)
    page = client.get(reverse("casestudies:resource_edit", args=[resource.slug])).content.decode()
    assert "Language this is written in" in page
    client.post(reverse("casestudies:resource_edit", args=[resource.slug]), {
        "kind": "guide", "title": "A short guide", "summary": "A short guide.", "url": "https://example.org/",
        "pillars": [pillar().pk], "tags": "", "partner": "", "date": "", "language": "en-gb",
    })
    resource.refresh_from_db()
    assert (resource.title, resource.language) == ("A short guide", "en-gb")


def test_the_form_s_question_is_in_welsh_on_a_welsh_page(client):
    org = OrganisationFactory()
    client.force_login(member_of(org))
    page = client.get("/cy" + reverse("casestudies:create")).content.decode()
    assert "Iaith y testun" in page


def test_english_text_on_a_welsh_page_and_welsh_text_on_an_english_page_keep_their_language(client):
    english = PublishedCaseStudyFactory(title="Buying locally in Swansea", summary="How we bought locally.",
                                        context="We spent more with local firms.")
    welsh = PublishedCaseStudyFactory(title="Prynu'n lleol yn Abertawe", summary="Sut y prynon ni'n lleol.",
                                      context="Gwario mwy gyda chwmnïau lleol.", language="cy")

    OutcomeMeasureFactory(case_study=english, measure="Gowns made each week", value=6000, unit="gowns",
                          period="May 2020")
    page = client.get("/cy" + english.get_absolute_url()).content.decode()
    for text in ("Buying locally in Swansea", "How we bought locally.", "We spent more with local firms.",
                 "Gowns made each week", "May 2020"):
        assert langs_of(page, text) == {"en-gb"}, text
    page = client.get(welsh.get_absolute_url()).content.decode()
    for text in ("Prynu'n lleol yn Abertawe", "Sut y prynon ni'n lleol.", "Gwario mwy gyda chwmnïau lleol."):
        assert langs_of(page, text) == {"cy"}, text

    # Their cards on the list, in both languages of page, and on the home page.
    for path in ("/case-studies/", "/cy/case-studies/", "/", "/cy/"):
        page = client.get(path).content.decode()
        assert langs_of(page, "Buying locally in Swansea") == {"en-gb"}, path
        assert langs_of(page, "How we bought locally.") == {"en-gb"}, path
        assert langs_of(page, "Sut y prynon ni") == {"cy"}, path


def test_resources_keep_their_language_on_their_page_cards_and_the_home_page(client):
    ResourceFactory(title="A guide to local buying", summary="Questions to ask suppliers.")
    welsh = ResourceFactory(title="Canllaw i brynu'n lleol", summary="Cwestiynau i'w gofyn i gyflenwyr.",
                            language="cy")
    page = client.get(welsh.get_absolute_url()).content.decode()
    assert langs_of(page, "Cwestiynau i") == {"cy"}
    for path in ("/resources/", "/cy/resources/", "/case-studies/?kind=toolkit", "/cy/case-studies/?kind=toolkit",
                 "/", "/cy/"):
        page = client.get(path).content.decode()
        assert langs_of(page, "A guide to local buying") == {"en-gb"}, path
        assert langs_of(page, "Questions to ask suppliers.") == {"en-gb"}, path
        assert langs_of(page, "Cwestiynau i") == {"cy"}, path


# --- 3. Who made a resource, and its own date ----------------------------------------------------


def test_resource_cards_show_the_maker_its_region_only_when_on_the_network_and_the_resource_s_date(client):
    suggesting = OrganisationFactory(name="Leeds Example NHS Trust", region=region("Y63"))
    partner_org = OrganisationFactory(name="Cardiff Example Health Board", region=region("WLS"))
    ResourceFactory(organisation=suggesting, partner_name="UK Fashion and Textile Association",
                    title="Textiles toolkit", date=datetime.date(2023, 3, 21))
    ResourceFactory(organisation=suggesting, partner_organisation=partner_org, title="Estates guide",
                    date=datetime.date(2022, 6, 2))
    ResourceFactory(organisation=suggesting, title="Own-made report")
    north_east = region("Y63").name
    wales = region("WLS").name

    for path in ("/resources/", "/case-studies/?kind=toolkit"):
        page = client.get(path).content.decode()
        line = _line_after(page, "Textiles toolkit")
        assert "UK Fashion and Textile Association" in line and "21 March 2023" in line, path
        assert north_east not in line, path
        line = _line_after(page, "Estates guide")
        assert "Cardiff Example Health Board" in line and wales in line and "2 June 2022" in line, path
        assert "Published" not in line, path
        line = _line_after(page, "Own-made report")
        assert "Leeds Example NHS Trust" in line and north_east in line, path


def _line_after(page: str, title: str) -> str:
    """The card's byline: the paragraph after the card's title."""
    after = page[page.index(title):]
    start = after.index("<p")
    return after[start:after.index("</p>", start)]


# --- 4. and 5. The list page ---------------------------------------------------------------------


def test_use_this_data_keeps_a_welsh_reader_in_welsh(client):
    main = _main(client.get("/cy/case-studies/").content.decode())
    assert 'href="/cy/api/"' in main and 'href="/api/"' not in main
    assert 'href="/api/"' in _main(client.get("/case-studies/").content.decode())


def _main(page: str) -> str:
    """The page's own content (the footer links to the same page too)."""
    return page[page.index("<main"):page.index("</main>")]


def test_an_unknown_kind_is_ignored_like_other_unknown_filter_values(client):
    PublishedCaseStudyFactory(title="Social value in procurement", summary="Social value questions in tenders.")
    page = client.get("/case-studies/?q=social+value&kind=resource").content.decode()
    assert "Social value in procurement" in page
    assert "0 case studies matching" not in page
    # Known kinds still filter.
    page = client.get("/case-studies/?q=social+value&kind=toolkit").content.decode()
    assert "Social value in procurement" not in page


def test_the_review_page_reads_the_title_and_the_changes_in_their_own_language(client):
    from tests.anchors.factories import lead_of

    case_study = PublishedCaseStudyFactory(title="Buying locally in Swansea", summary="How we bought locally.")
    author = member_of(case_study.organisation)
    content = services.content_of(case_study) | {"summary": "How we bought locally, and why.", "language": "cy"}
    services.case_study_edit(case_study=case_study, by=author, content=content)
    services.case_study_submit(case_study=case_study, by=author)

    client.force_login(lead_of(case_study.organisation.region.code))
    page = client.get("/cy" + reverse("casestudies:review", args=[case_study.slug])).content.decode()
    heading = page[page.index("<h1"):page.index("</h1>")]
    assert '<span lang="en-gb">Buying locally in Swansea</span>' in heading
    # The published words in English, the proposed ones in the language the author now gives.
    assert langs_of(page, "How we bought locally.") == {"en-gb"}
    assert langs_of(page, "and why.") == {"cy"}
    # The change of language is listed among the changes, in the page's language.
    assert "Iaith y testun" in page


def test_the_demo_has_a_resource_written_in_welsh_by_a_welsh_health_board(client):
    from accounts import demo as accounts_demo
    from anchors import demo as anchors_demo
    from casestudies import demo

    for step in (accounts_demo.seed, anchors_demo.seed, demo.seed):
        step()
    welsh = Resource.objects.published().get(language="cy")
    assert welsh.organisation.ods_code == "7A3"
    assert langs_of(client.get("/resources/").content.decode(), welsh.title) == {"cy"}
