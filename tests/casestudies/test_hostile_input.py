"""Markdown that members write can neither break nor stall a page: the form refuses it with a
message, the services store rendered HTML, and a row stored some other way still renders."""

import pytest
from django.urls import reverse

from casestudies import services
from casestudies.forms import SECTION_MAX_LENGTH
from casestudies.markdown import MAX_NESTING
from casestudies.models import CaseStudy, Revision
from tests.anchors.factories import OrganisationFactory, lead_of, member_of, pillar

from .factories import CaseStudyFactory, PublishedCaseStudyFactory, SubmittedCaseStudyFactory
from .test_views import form_data

pytestmark = pytest.mark.django_db

DEEP_LIST = "- " * 500 + "deep"  # RecursionError in Python-Markdown: a 500 on every view
NESTED_BRACKETS = "[" * 4000 + "](" * 4000  # quadratic in Python-Markdown: a 10 s page
PAYLOADS = pytest.mark.parametrize("payload", [DEEP_LIST, NESTED_BRACKETS], ids=["deep-list", "brackets"])


@pytest.fixture
def org():
    return OrganisationFactory()


@pytest.fixture
def author(org):
    return member_of(org)


def detail(cs):
    return reverse("casestudies:detail", kwargs={"slug": cs.slug})


@PAYLOADS
def test_the_form_refuses_it_with_a_message_and_keeps_what_was_typed(client, org, author, payload):
    client.force_login(author)
    response = client.post(reverse("casestudies:create"), form_data(organisation=org.pk, approach=payload))
    assert response.status_code == 200 and not CaseStudy.objects.exists()
    page = response.content.decode()
    summary = page[page.index("nhsuk-error-summary"):page.index("</ul>", page.index("nhsuk-error-summary"))]
    assert 'href="#id_approach"' in summary and "What was done:" in summary
    expected = f"up to {MAX_NESTING} levels deep" if payload == DEEP_LIST else "too many brackets"
    assert expected in summary
    assert payload[:200] in page  # the text stays in the field, to be corrected


def test_the_form_refuses_a_section_over_the_length(client, org, author):
    client.force_login(author)
    response = client.post(reverse("casestudies:create"),
                           form_data(organisation=org.pk, lessons="a" * (SECTION_MAX_LENGTH + 1)))
    assert response.status_code == 200 and not CaseStudy.objects.exists()
    assert f"Lessons for others: Shorten this to {SECTION_MAX_LENGTH:,} characters" in response.content.decode()


@PAYLOADS
def test_a_stored_row_with_it_renders_on_every_page(client, org, author, payload):
    # Written straight to the database (an import, or saved before the form checked it).
    cs = SubmittedCaseStudyFactory(organisation=org, context=payload)
    client.force_login(author)
    response = client.get(detail(cs))
    assert response.status_code == 200
    assert "[[[[" in response.content.decode() or "- - - -" in response.content.decode()
    client.force_login(lead_of("Y63"))
    assert client.get(reverse("casestudies:review", kwargs={"slug": cs.slug})).status_code == 200


@PAYLOADS
def test_a_published_row_with_it_renders_to_visitors(client, payload):
    cs = PublishedCaseStudyFactory(outcomes=payload)
    assert client.get(detail(cs)).status_code == 200


def test_saving_stores_the_cleaned_html_the_page_shows(client, org, author):
    cs = services.case_study_create(organisation=org, by=author, content={
        "title": "Stored", "summary": "s", "context": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
        "approach": "", "outcomes": "", "lessons": "", "next_steps": "", "pillars": [pillar().pk],
    })
    cs.refresh_from_db()
    assert cs.context_html.startswith("<p><strong>Bold</strong>")
    assert "script" not in cs.context_html and "<a" not in cs.context_html and cs.approach_html == ""
    # The page shows what was stored, not a fresh rendering of the Markdown.
    CaseStudy.objects.filter(pk=cs.pk).update(context_html="<p>Stored HTML shown</p>")
    client.force_login(author)
    assert "<p>Stored HTML shown</p>" in client.get(detail(cs)).content.decode()


def test_a_revision_stores_the_html_of_its_sections(client, org, author):
    cs = PublishedCaseStudyFactory(organisation=org)
    content = services.content_of(cs) | {"lessons": "*Start small*", "context": DEEP_LIST}
    revision = services.case_study_edit(case_study=cs, by=author, content=content)
    assert isinstance(revision, Revision)
    assert revision.content_html["lessons"] == "<p><em>Start small</em></p>"
    assert revision.content_html["context"].startswith("<p>- - - ")
    services.case_study_edit(case_study=cs, by=author, content=content | {"lessons": "**Then grow**"})
    revision.refresh_from_db()
    assert revision.content_html["lessons"] == "<p><strong>Then grow</strong></p>"
    client.force_login(author)
    page = client.get(reverse("casestudies:revision", kwargs={"slug": cs.slug})).content.decode()
    assert "<p><strong>Then grow</strong></p>" in page


def test_publishing_a_revision_stores_its_html_on_the_case_study(org, author):
    cs = PublishedCaseStudyFactory(organisation=org)
    services.case_study_edit(case_study=cs, by=author, content=services.content_of(cs) | {"outcomes": "**More**"})
    services.case_study_submit(case_study=cs, by=author)
    services.case_study_publish(case_study=cs, by=lead_of("Y63"))
    cs.refresh_from_db()
    assert cs.outcomes_html == "<p><strong>More</strong></p>"


def test_the_migration_renders_existing_rows(org):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("casestudies.migrations.0003_section_html")
    cs = CaseStudyFactory(organisation=org, context="**Old**", approach=NESTED_BRACKETS)
    revision = Revision.objects.create(case_study=cs, content={"lessons": "*Kept*"})
    migration.render_existing(apps, None)
    cs.refresh_from_db()
    revision.refresh_from_db()
    assert cs.context_html == "<p><strong>Old</strong></p>" and cs.approach_html.startswith("<p>[[[")
    assert revision.content_html["lessons"] == "<p><em>Kept</em></p>"


def test_an_edit_in_the_admin_stores_the_html_too(rf, org):
    from django.contrib import admin

    from casestudies.admin import CaseStudyAdmin

    cs = CaseStudyFactory(organisation=org)
    cs.lessons = "**Edited in the admin**"
    CaseStudyAdmin(CaseStudy, admin.site).save_model(rf.post("/"), cs, None, True)
    cs.refresh_from_db()
    assert cs.lessons_html == "<p><strong>Edited in the admin</strong></p>"
