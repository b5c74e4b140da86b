"""The privacy notice, accessibility statement and cookies page, linked from every page."""

import re

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FOOTER_LINKS = ('href="/privacy/"', 'href="/accessibility/"', 'href="/cookies/"')


def footer(html: str) -> str:
    return re.search(r"<footer.*</footer>", html, re.S).group(0)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/privacy/", "Privacy notice"),
        ("/accessibility/", "Accessibility statement for the Anchors Learning Network"),
        ("/cookies/", "Cookies"),
    ],
)
def test_each_page_answers_to_a_visitor(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/case-studies/", "/members/", "/groups/", "/account/login/", "/no-such-page/"])
def test_every_page_links_to_them_from_its_footer(client, path):
    html = client.get(path).content.decode()
    for link in FOOTER_LINKS:
        assert link in footer(html), (path, link)


def test_signed_in_pages_link_to_them_too(client):
    client.force_login(UserFactory())
    html = client.get("/account/").content.decode()
    assert all(link in footer(html) for link in FOOTER_LINKS)


def test_the_privacy_notice_says_who_what_why_how_long_and_how_to_use_your_rights(client):
    html = client.get("/privacy/").content.decode()
    for words in ("data controller", "Article 6(1)(e)", "How long we keep it", "Information Commissioner"):
        assert words in html, words
    assert 'href="/account/#your-data"' in html and 'href="/account/delete/"' in html


def test_the_accessibility_statement_has_the_public_sector_shape(client):
    html = client.get("/accessibility/").content.decode()
    for words in (
        "partially compliant with the",
        "WCAG22",
        "Non-accessible content",
        "Enforcement procedure",
        "Equality and Human Rights Commission",
        "axe-core",
        "keyboard",
        "Reporting accessibility problems",
    ):
        assert words in html, words


def test_the_cookies_page_lists_every_cookie_the_site_sets(client):
    """Browse as a visitor, sign in, save a change: every cookie set is on the cookies page,
    and none is for analytics, so no banner is needed."""
    set_cookies = set()
    for path in ("/", "/case-studies/", "/members/", "/groups/", "/account/login/", "/account/signup/"):
        set_cookies |= set(client.get(path).cookies)
    person = UserFactory()
    set_cookies |= set(client.post("/account/login/", {"login": person.email, "password": PASSWORD}).cookies)
    set_cookies |= set(client.post("/account/", {"full_name": "Nye Bevan", "job_title": ""}).cookies)
    set_cookies |= set(client.get("/account/").cookies)
    assert set_cookies == {"csrftoken", "sessionid", "messages"}

    html = client.get("/cookies/").content.decode()
    for name in set_cookies:
        assert f"<code>{name}</code>" in html
    assert "there is no cookie banner" in html
