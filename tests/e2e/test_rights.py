"""The person's rights in a real browser: download your data, delete your account, and the
footer's legal pages. Every page is checked as in tests/e2e (status, console, axe-core)."""

import pytest

from tests.anchors.factories import OrganisationFactory, admin_of, member_of
from tests.e2e.conftest import CHROMIUM, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (install Debian's chromium package)"),
]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """The export is written to a folder the test throws away."""
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_member_downloads_their_data_then_deletes_their_account(pages):
    organisation = OrganisationFactory(name="Browser Test Trust")
    admin_of(organisation)
    person = member_of(organisation, user=UserFactory(email="leaving@trust.example", full_name="Lee Leaving"))

    pages.goto("/")
    pages.follow("footer a[href='/privacy/']")
    pages.follow("main a[href='/cookies/']")
    pages.goto("/accessibility/")

    sign_in(pages, person.email)
    pages.goto("/account/")
    pages.submit("form[action='/account/your-data/'] button")
    assert pages.page.locator("strong.nhsuk-tag", has_text="Ready").is_visible()
    with pages.page.expect_download() as download:
        pages.page.click("a[href$='/download/']")
    assert download.value.suggested_filename.startswith("anchors-learning-network-your-data-")

    pages.follow("a[href='/account/delete/']")
    pages.page.fill("input[name=password]", "not-my-password")
    pages.submit("main form button[type=submit]")
    assert pages.page.title().startswith("Error: ")
    assert pages.page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")

    pages.page.fill("input[name=password]", PASSWORD)
    pages.submit("main form button[type=submit]")
    assert pages.page.url.endswith("/account/deleted/")
    assert pages.page.locator("h1", has_text="Your account has been deleted").is_visible()
    pages.goto("/account/")  # signed out: the sign-in page
    assert "/account/login/" in pages.page.url
