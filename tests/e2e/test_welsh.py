"""The site in Welsh through a real browser: the header's switch keeps the page, `lang` follows
the language, a signed-in person's choice is remembered, and every page passes axe in Welsh."""

from accounts.models import User
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory


def html_lang(pages) -> str:
    return pages.page.get_attribute("html", "lang")


def path_of(pages) -> str:
    return pages.page.url.removeprefix(pages.base_url)


def test_a_visitor_switches_between_english_and_welsh_on_the_same_page(pages):
    for path in [
        "/",
        "/account/login/?next=/account/",
        "/account/signup/",
        "/account/password/reset/",
    ]:
        pages.goto(path)
        assert html_lang(pages) == "en-GB"
        pages.follow("header a[hreflang=cy]")
        assert path_of(pages) == "/cy" + path
        assert html_lang(pages) == "cy"
        switch = pages.page.locator("header a[hreflang=en-GB]")
        assert switch.inner_text() == "English"
        assert switch.get_attribute("lang") == "en-GB"
        pages.follow("header a[hreflang=en-GB]")
        assert path_of(pages) == path
        assert html_lang(pages) == "en-GB"


def test_welsh_shell_pages_are_in_welsh_and_accessible(pages):
    pages.goto("/cy/account/login/")
    assert pages.page.inner_text("h1") == "Mewngofnodi"
    assert pages.page.locator("a.nhsuk-skip-link").inner_text() == "Neidio i'r prif gynnwys"
    pages.goto("/cy/account/signup/")
    pages.submit()  # nothing typed: the error summary, in Welsh
    assert pages.page.locator(".nhsuk-error-summary__heading").inner_text() == "Mae problem"
    assert pages.page.title().startswith("Gwall:")
    pages.goto("/cy/no-such-page/", status=404)
    assert html_lang(pages) == "cy"


def test_a_signed_in_persons_choice_is_remembered_for_their_next_sign_in(pages, db):
    person = UserFactory(email="dewi@bwrdd.example")
    sign_in(pages, person.email)
    pages.goto("/account/")
    pages.submit("header button[lang=cy]")
    assert path_of(pages) == "/cy/account/"
    assert html_lang(pages) == "cy"
    assert User.objects.get(pk=person.pk).language == "cy"

    # Next time, signing in on the English page lands them on Welsh pages.
    sign_in(pages, person.email)
    assert path_of(pages).startswith("/cy/")
    assert html_lang(pages) == "cy"

    # And the account page's own choice switches back.
    pages.goto("/cy/account/")
    pages.page.check("#language-en-gb")
    pages.submit("#language ~ form button[type=submit]")
    assert path_of(pages) == "/account/#language"
    assert html_lang(pages) == "en-GB"
    assert User.objects.get(pk=person.pk).language == "en-gb"


def test_welsh_account_pages_are_accessible(pages, db):
    person = UserFactory(email="nia@bwrdd.example", language="cy")
    sign_in(pages, person.email)
    for path in [
        "/cy/account/",
        "/cy/account/email/",
        "/cy/account/password/change/",
        "/cy/account/2fa/",
        "/cy/account/delete/",
    ]:
        pages.goto(path)
        assert html_lang(pages) == "cy"
    assert pages.page.inner_text("h1") == "Dileu eich cyfrif"
