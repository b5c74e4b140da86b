import pytest


def test_it_serves_an_accessible_home_page(pages):
    pages.goto("/")
    assert pages.page.locator("h1").inner_text().startswith("Learn how NHS organisations")
    assert pages.page.locator(".nhsuk-header__service-name").inner_text() == "Anchors Learning Network"


def test_the_design_system_scripts_start_under_the_content_security_policy(pages):
    pages.goto("/")
    body_classes = pages.page.evaluate("document.body.className")
    assert "nhsuk-frontend-supported" in body_classes
    # The header component marks itself initialised only when its script has run.
    assert pages.page.locator(".nhsuk-header[data-nhsuk-header-init]").count() == 1


def test_after_a_failed_submit_focus_is_on_the_error_summary_and_the_title_says_error(pages):
    pages.goto("/account/signup/")
    assert not pages.page.title().startswith("Error:")
    pages.submit()
    assert pages.page.title().startswith("Error: ")
    focused = pages.page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")
    assert focused, "the error summary did not take focus"
    assert "Enter full name" in pages.page.inner_text(".nhsuk-error-summary")


def test_a_page_that_answers_an_unexpected_status_fails_even_when_it_passes_axe(pages):
    """The checks themselves: a styled, accessible error page is still a failure unless the
    test expected that status."""
    with pytest.raises(AssertionError, match="answered 404, expected 200"):
        pages.goto("/no-such-page/")
    pages.problems.clear()  # the console's note of the 404 belongs to the failed check above
    pages.goto("/no-such-page/", status=404)


def test_the_refusal_and_not_found_pages_are_accessible(pages):
    from tests.e2e.conftest import sign_in
    from tests.factories import UserFactory

    sign_in(pages, UserFactory().email)
    pages.goto("/members/roles/", status=403)
    assert "You do not have permission" in pages.page.inner_text("h1")
    pages.goto("/case-studies/no-such-case-study/", status=404)
    assert "Page not found" in pages.page.inner_text("h1")
