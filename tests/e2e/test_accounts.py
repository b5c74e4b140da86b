import re

from django.core import mail

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, UserFactory


def test_a_newcomer_signs_up_verifies_their_email_and_signs_in(pages):
    pages.goto("/")
    pages.follow("text=Create an account")

    # A mistake first: the error summary says what is wrong and keeps what was typed.
    pages.page.fill("input[name=full_name]", "Aisha Bello")
    pages.page.fill("input[name=email]", "aisha.bello@nhs.example")
    pages.page.fill("input[name=password1]", "a-long-pass-phrase-2026")
    pages.page.fill("input[name=password2]", "something else entirely")
    pages.submit()
    assert pages.page.locator(".nhsuk-error-summary").is_visible()
    assert pages.page.input_value("input[name=full_name]") == "Aisha Bello"

    pages.page.fill("input[name=password1]", "a-long-pass-phrase-2026")
    pages.page.fill("input[name=password2]", "a-long-pass-phrase-2026")
    pages.submit()
    assert "verify your email address" in pages.page.inner_text("h1").lower()

    message = mail.outbox[-1]
    assert message.to == ["aisha.bello@nhs.example"]
    link = re.search(r"https?://\S+/account/confirm-email/\S+/", message.body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    pages.goto(path)
    pages.submit()

    sign_in(pages, "aisha.bello@nhs.example", "a-long-pass-phrase-2026")
    pages.goto("/account/")
    assert "Aisha Bello" in pages.page.inner_text("main")

    pages.follow("text=Sign out")
    assert pages.page.locator("text=Sign in").first.is_visible()


def test_account_management_pages_are_accessible(pages, db):
    person = UserFactory(email="manager@nhs.example")
    sign_in(pages, person.email)
    for path in [
        "/account/",
        "/account/password/change/",
        "/account/email/",
        "/account/2fa/",
        "/account/2fa/totp/activate",
    ]:
        pages.goto(path)
    pages.page.context.clear_cookies()
    for path in ["/account/password/reset/", "/account/login/", "/account/signup/"]:
        pages.goto(path)
    pages.goto("/no-such-page/", status=404)


def test_two_factor_pages_from_enrolment_to_sign_in_are_accessible(pages, db):
    from tests.accounts.test_accounts import totp

    person = UserFactory(email="two-factor@nhs.example")
    sign_in(pages, person.email)
    pages.goto("/account/2fa/totp/activate/")
    if "/reauthenticate/" in pages.page.url:
        pages.page.fill("input[name=password]", PASSWORD)
        pages.submit()
    assert pages.page.locator("main img[src^='data:image/']").count() == 1
    secret = _totp_secret(pages)
    pages.page.fill("input[name=code]", totp(secret))
    pages.submit()
    for path in ["/account/2fa/", "/account/2fa/recovery-codes/", "/account/2fa/recovery-codes/generate/"]:
        pages.goto(path)

    pages.page.context.clear_cookies()
    pages.goto("/account/login/")
    pages.page.fill("input[name=login]", person.email)
    pages.page.fill("input[name=password]", PASSWORD)
    pages.submit()
    assert "/account/2fa/authenticate/" in pages.page.url
    pages.page.fill("input[name=code]", "000000")
    pages.submit()
    assert pages.page.locator(".nhsuk-error-summary").count() == 1


def _totp_secret(pages) -> str:
    """The secret allauth shows under the QR code for people who type it in."""
    return pages.page.input_value("#authenticator_secret")
