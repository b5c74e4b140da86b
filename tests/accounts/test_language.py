"""English at /..., Welsh at /cy/...: the header's switch, `lang`, a person's remembered choice,
emails in the recipient's language, and caches that never hand one language to the other."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import translation

import sitecache
from accounts.languages import path_in_language, strip_prefix, url_in_language
from accounts.mail import language_for, queue_email
from accounts.models import User
from outbox.models import OutgoingEmail
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def switch_link(html: str) -> re.Match:
    """The header's link to the other language (visitors)."""
    return re.search(r'<a class="nhsuk-header__account-link" href="([^"]*)" hreflang="([^"]*)" lang="([^"]*)">([^<]*)</a>', html)


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]*)"', html).group(1)


def sign_in(client, email, path="/account/login/"):
    return client.post(path, {"login": email, "password": PASSWORD})


# --- addresses ----------------------------------------------------------------------------------


def test_english_stays_where_it_was_and_welsh_is_under_cy():
    assert path_in_language("/case-studies/", "cy") == "/cy/case-studies/"
    assert path_in_language("/cy/case-studies/", "en-gb") == "/case-studies/"
    assert path_in_language("/cy/", "en-gb") == "/"
    assert path_in_language("/", "cy") == "/cy/"
    assert strip_prefix("/cy") == "/"
    assert strip_prefix("/cymraeg-page/") == "/cymraeg-page/"
    # Only in English (machines and the admin): the Welsh home page rather than a 404.
    assert path_in_language("/healthz", "cy") == "/cy/"
    assert path_in_language("/healthz", "cy", fallback_home=False) == "/healthz"
    assert url_in_language("/case-studies/?q=food&page=2#results", "cy") == "/cy/case-studies/?q=food&page=2#results"


def test_machine_addresses_have_no_welsh_copy(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/cy/healthz").status_code == 404
    assert client.get("/cy/api/v1/").status_code == 404
    assert client.get("/cy/admin/").status_code == 404


# --- the header's switch and lang ---------------------------------------------------------------


def test_the_switch_keeps_the_page_and_its_query_string(client):
    html = client.get("/account/login/?next=/case-studies/%3Fq%3Dfood").content.decode()
    link = switch_link(html)
    assert link.groups() == ("/cy/account/login/?next=/case-studies/%3Fq%3Dfood", "cy", "cy", "Cymraeg")
    assert html_lang(html) == "en-GB"

    welsh = client.get(link.group(1))
    assert welsh.status_code == 200
    welsh_html = welsh.content.decode()
    assert html_lang(welsh_html) == "cy"
    assert switch_link(welsh_html).groups() == (
        "/account/login/?next=/case-studies/%3Fq%3Dfood",
        "en-GB",
        "en-GB",
        "English",
    )
    assert "<h1>Mewngofnodi</h1>" in welsh_html
    assert welsh["Content-Language"] == "cy"


def test_a_missing_page_is_in_the_language_of_its_address(client):
    response = client.get("/cy/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert html_lang(html) == "cy"
    assert "Heb ddod o hyd i'r dudalen" in html
    assert switch_link(html).group(1) == "/no-such-page/"


def test_a_browser_asking_for_welsh_still_gets_the_english_address_in_english(client):
    # The address decides: /... is English whatever Accept-Language says (cacheable, shareable).
    html = client.get("/account/login/", headers={"accept-language": "cy"}).content.decode()
    assert html_lang(html) == "en-GB"


# --- a signed-in person's choice ----------------------------------------------------------------


def test_a_signed_in_person_switches_with_a_form_that_saves_their_choice(client):
    person = UserFactory()
    client.force_login(person)
    html = client.get("/account/?tab=1").content.decode()
    assert 'action="/language/"' in html
    assert '<input type="hidden" name="next" value="/cy/account/?tab=1">' in html

    response = client.post("/language/", {"language": "cy", "next": "/cy/account/?tab=1"})
    assert response.status_code == 302
    assert response["Location"] == "/cy/account/?tab=1"
    person.refresh_from_db()
    assert person.language == "cy"

    response = client.post("/language/", {"language": "en-gb", "next": "/cy/account/"})
    assert response["Location"] == "/account/"
    person.refresh_from_db()
    assert person.language == "en-gb"


def test_the_switch_never_sends_anyone_off_the_site(client):
    response = client.post("/language/", {"language": "cy", "next": "https://elsewhere.example/"})
    assert response["Location"] == "/cy/"
    response = client.post("/language/", {"language": "klingon", "next": "/case-studies/"})
    assert response["Location"] == "/case-studies/"
    assert client.get("/language/").status_code == 405


def test_the_account_page_offers_the_choice(client):
    person = UserFactory(language="cy")
    client.force_login(person)
    html = client.get("/cy/account/").content.decode()
    assert 'id="language-cy" name="language" type="radio" value="cy" checked' in html
    assert "Pa iaith yr hoffech ei defnyddio?" in html


def test_after_signing_in_a_person_lands_in_their_language(client):
    UserFactory(email="dewi@bwrdd.example", language="cy")
    response = sign_in(client, "dewi@bwrdd.example")
    assert response.status_code == 302
    assert response["Location"].startswith("/cy/")

    client.logout()
    UserFactory(email="alex@trust.example", language="en-gb")
    response = sign_in(client, "alex@trust.example", path="/cy/account/login/?next=/cy/case-studies/")
    assert response["Location"] == "/case-studies/"


def test_someone_who_signs_up_on_the_welsh_pages_is_remembered_as_welsh(client):
    client.post(
        "/cy/account/signup/",
        {
            "full_name": "Nia Jones",
            "email": "nia@bwrdd.example",
            "password1": "a-long-pass-phrase-2026",
            "password2": "a-long-pass-phrase-2026",
        },
    )
    assert User.objects.get(email="nia@bwrdd.example").language == "cy"


# --- email in each person's language ------------------------------------------------------------


def test_language_for_follows_the_account_and_else_english():
    welsh = UserFactory(email="cymraeg@bwrdd.example", language="cy")
    assert language_for(welsh) == "cy"
    assert language_for("CYMRAEG@bwrdd.example") == "cy"
    # No account: not the language of whoever's page caused the email...
    with translation.override("cy"):
        assert language_for("nobody@example.org") == "en-gb"
    # ...unless the caller knows better (allauth: the person on the page is the recipient).
    assert language_for("nobody@example.org", default="cy") == "cy"
    assert language_for(welsh, default="en-gb") == "cy"


def test_an_address_without_an_account_gets_english_from_a_welsh_page():
    person = UserFactory()
    export = person.data_exports.create(status="ready")
    with translation.override("cy"):
        queue_email(
            to="contact@trust.example",
            template_prefix="accounts/emails/data_export_ready",
            context={"person": person, "export": export, "url": "https://example.org/x"},
        )
    (email,) = OutgoingEmail.objects.all()
    assert email.subject == "Your data is ready to download"


def test_an_email_to_a_welsh_speaker_is_in_welsh_and_links_to_welsh_pages(settings):
    welsh = UserFactory(email="cymraeg@bwrdd.example", language="cy", full_name="Dewi Sant")
    english = UserFactory(email="english@trust.example", language="en-gb", full_name="Alex Smith")
    export = welsh.data_exports.create(status="ready")
    queue_email(
        to=[welsh.email, english.email],
        template_prefix="accounts/emails/data_export_ready",
        context={"person": welsh, "export": export, "url": settings.SITE_URL + "/account/your-data/1/download/"},
    )
    by_address = {email.to: email for email in OutgoingEmail.objects.all()}
    cy, en = by_address[welsh.email], by_address[english.email]
    assert cy.subject == "Mae eich data yn barod i'w lwytho i lawr"
    assert en.subject == "Your data is ready to download"
    assert "Llwytho eich data i lawr" in cy.html and '<html lang="cy">' in cy.html
    assert f"{settings.SITE_URL}/cy/account/your-data/1/download/" in cy.text
    assert f"{settings.SITE_URL}/cy/account/" in cy.html  # the footer's "manage your account"
    assert "Download your data" in en.html and '<html lang="en-GB">' in en.html
    assert f"{settings.SITE_URL}/account/your-data/1/download/" in en.text


@pytest.mark.django_db(transaction=True)  # allauth's email is sent once the request has committed
def test_allauth_email_follows_the_recipients_language(client):
    UserFactory(email="cymraeg@bwrdd.example", language="cy")
    client.post("/account/password/reset/", {"email": "cymraeg@bwrdd.example"})
    (message,) = mail.outbox
    assert message.subject.endswith("Ailosod eich cyfrinair")
    assert "/cy/account/password/reset/key/" in message.body

    # No account yet: the language of the page they used.
    client.post("/cy/account/password/reset/", {"email": "unknown@bwrdd.example"})
    assert mail.outbox[-1].subject.endswith("Cais i ailosod cyfrinair")


# --- caches -------------------------------------------------------------------------------------


def test_the_visitor_page_cache_never_serves_the_other_language(client):
    cache.clear()
    english = client.get("/").content.decode()
    welsh = client.get("/cy/").content.decode()
    again_english = client.get("/").content.decode()
    again_welsh = client.get("/cy/").content.decode()
    assert html_lang(english) == html_lang(again_english) == "en-GB"
    assert html_lang(welsh) == html_lang(again_welsh) == "cy"


def test_fragments_are_kept_per_language():
    cache.clear()
    built = []

    def build():
        built.append(translation.get_language())
        return translation.gettext("Sign in")

    with translation.override("en-gb"):
        assert sitecache.fragment("test-language", (), build) == "Sign in"
    with translation.override("cy"):
        assert sitecache.fragment("test-language", (), build) == "Mewngofnodi"
        assert sitecache.fragment("test-language", (), build) == "Mewngofnodi"
    assert built == ["en-gb", "cy"]


def test_allauths_own_pages_and_labels_are_in_welsh(client):
    # allauth ships no Welsh: locale/cy/sources/allauth.po gives its strings on our pages.
    html = client.get("/cy/account/login/").content.decode()
    assert "Cyfrinair" in html and "Cofio fi" in html
    client.force_login(UserFactory())
    html = client.get("/cy/account/email/").content.decode()
    assert "Cyfeiriadau e-bost" in html
    html = client.get("/cy/account/2fa/").content.decode()
    assert "Ap dilysu" in html
    # Django's password rules lack Welsh of their own: locale/cy/sources/django.po.
    html = client.get("/cy/account/password/change/").content.decode()
    assert "Ni all eich cyfrinair fod yn rhifau i gyd." in html
    assert "Enw llawn" in client.get("/cy/account/").content.decode()


def test_the_use_this_data_page_is_in_both_languages_and_the_api_in_one(client):
    welsh = client.get("/cy/api/")
    assert welsh.status_code == 200
    assert html_lang(welsh.content.decode()) == "cy"
    assert 'href="/cy/api/"' in welsh.content.decode()  # the footer keeps the language
    assert client.get("/api/").status_code == 200
    assert client.get("/api/v1/").status_code == 200
    assert client.get("/cy/api/v1/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/digests/unsubscribe/some-token/",  # RFC 8058 one-click POST, in every digest sent
        "/account/confirm-email/some-key/",
        "/account/password/reset/key/1-some-key/",
        "/case-studies/feed/",
        "/account/your-data/1/download/",
    ],
)
def test_links_already_sent_keep_their_english_address(path):
    from django.urls import resolve

    # English has no prefix, so every address mailed before Welsh existed still resolves, and
    # the Welsh copy exists beside it.
    english = resolve(path).url_name
    assert english
    with translation.override("cy"):
        assert resolve("/cy" + path).url_name == english


def test_the_header_and_footer_links_stay_in_the_page_language(client):
    html = client.get("/cy/cookies/").content.decode()
    # Every site link in the header navigation and the footer keeps the reader in Welsh.
    for section in re.findall(r"<(?:nav|footer)\b.*?</(?:nav|footer)>", html, flags=re.S):
        for href in re.findall(r'href="(/[^"]*)"', section):
            if href.startswith("/static/"):
                continue
            english_copy = href in ("/cookies/",)  # the language switch points at the English page
            assert href.startswith("/cy/") or english_copy, href
