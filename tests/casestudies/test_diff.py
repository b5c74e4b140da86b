"""The revision diff a moderator reads: old and new prose with the changed words marked."""

import pytest
from django.urls import reverse

from casestudies import services
from casestudies.diff import MAX_WORD_TOKENS, Segment, text_change
from tests.anchors.factories import OrganisationFactory, lead_of, member_of

from .factories import PublishedCaseStudyFactory


def test_changed_words_are_marked_on_each_side():
    change = text_change("We bought gowns from China.", "We made gowns in Sunderland.")
    assert Segment("removed", "bought") in change.old and Segment("added", "made") in change.new
    assert Segment("removed", "from China") in change.old and Segment("added", "in Sunderland") in change.new
    assert "".join(s.text for s in change.old) == "We bought gowns from China."
    assert "".join(s.text for s in change.new) == "We made gowns in Sunderland."


@pytest.mark.parametrize("before, after", [
    ("One line\r\nTwo lines\r\n", "One line\nTwo lines"),
    ("Old Mac line\rnext", "Old Mac line\nnext"),
    ("Trailing spaces   \nhere\t", "Trailing spaces\nhere"),
    (None, ""),
])
def test_line_endings_and_trailing_spaces_are_not_changes(before, after):
    assert text_change(before, after) is None


def test_a_new_section_has_an_empty_old_side():
    change = text_change("", "Something new")
    assert change.old == [] and change.new == [Segment("added", "Something new")]


def test_long_texts_are_compared_line_by_line_so_the_page_stays_fast():
    before = "\n".join(f"line {n} " + "word " * 20 for n in range(200))
    after = before.replace("line 100 ", "line one hundred ")
    assert len(before.split()) * 2 > MAX_WORD_TOKENS
    change = text_change(before, after)
    removed = [s.text for s in change.old if s.kind == "removed"]
    assert len(removed) == 1 and removed[0].startswith("line 100 ")


@pytest.mark.django_db
def test_the_review_page_shows_readable_old_and_new_text(client):
    org = OrganisationFactory()
    author = member_of(org)
    cs = PublishedCaseStudyFactory(organisation=org, context="Too little spending\r\nstayed local.",
                                   lessons="Start with the biggest contracts.")
    content = services.content_of(cs) | {
        "context": "Too little spending\nstayed local.",  # only the line ending differs
        "lessons": "Start with the smallest contracts.",
    }
    services.case_study_edit(case_study=cs, by=author, content=content)
    services.case_study_submit(case_study=cs, by=author)
    client.force_login(lead_of("Y63"))
    page = client.get(reverse("casestudies:review", kwargs={"slug": cs.slug})).content.decode()
    changes = page[page.index("<h2>What changes</h2>"):page.index("<h2>Proposed version</h2>")]
    assert "@@" not in changes and "<pre" not in changes
    assert "The context and the problem" not in changes  # line endings only: no change
    assert "<h3>Lessons for others</h3>" in changes
    assert '<del><span class="nhsuk-u-visually-hidden">removed: </span>biggest</del>' in changes
    assert '<ins><span class="nhsuk-u-visually-hidden">added: </span>smallest</ins>' in changes
    assert changes.count('app-diff__text') == 2
