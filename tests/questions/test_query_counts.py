"""The case-study page with a contact asks one more query, whatever the number of rows: are
questions on for it? (counted cold; a cached page asks nothing). The ask page's count is fixed too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questions import services
from tests.casestudies.factories import OutcomeMeasureFactory, PublishedCaseStudyFactory
from tests.test_query_counts import (  # noqa: F401
    DETAIL,
    ROLES,
    SIGNED_IN,
    at_1_and_50,
    count_queries,
    org,
    published,
)

from .conftest import CONTACT

pytestmark = pytest.mark.django_db

QUESTIONS_ON = "questions on? (the authors' choice and the contact's opt-outs, one query)"


def test_the_case_study_page_with_a_contact(client, org):  # noqa: F811
    shown = PublishedCaseStudyFactory(organisation=org, slug="shown", tags=["tag 1"], contact_email=CONTACT)

    def add(n):
        published(org, n)
        for _ in range(n):
            OutcomeMeasureFactory(case_study=shown)

    # The "Ask a question" link: DETAIL ends with the related case studies, built in the same
    # cached case study; the template asks about questions while rendering the sidebar.
    at_1_and_50(client, reverse("casestudies:detail", args=["shown"]), [*DETAIL, QUESTIONS_ON], add)


def test_the_ask_page(client, org, asker):  # noqa: F811
    shown = PublishedCaseStudyFactory(organisation=org, slug="shown", contact_email=CONTACT)
    client.force_login(asker)
    expected = [
        *SIGNED_IN,
        "the published case study, with its organisation",
        "the asker's verified email address exists",
        ROLES + " (is it their own organisation's?)",
        QUESTIONS_ON,
    ]
    count_queries(client, reverse("questions:ask", args=["shown"]), expected)
    # Questions already asked cost nothing more on the page.
    for _ in range(3):
        services.question_ask(case_study=shown, message="Hi", by=asker)
    count_queries(client, reverse("questions:ask", args=["shown"]), expected)
