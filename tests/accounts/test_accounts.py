import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core import mail

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (SHA-1, 30 s, 6 digits), written here so the test checks allauth."""
    counter = int((at or time.time()) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def link_in(message, path_fragment: str) -> str:
    url = re.search(rf"https?://\S+{path_fragment}\S*", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def sign_in(client, email, password=PASSWORD):
    return client.post("/account/login/", {"login": email, "password": password})


@pytest.mark.django_db(transaction=True)  # email is sent once the request has committed
def test_it_signs_up_verifies_by_email_and_signs_in(client):
    response = client.post(
        "/account/signup/",
        {
            "full_name": "Grace Hopper",
            "job_title": "Estates lead",
            "email": "grace@trust.example",
            "password1": "a-long-pass-phrase-2026",
            "password2": "a-long-pass-phrase-2026",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(email="grace@trust.example")
    assert (person.full_name, person.job_title) == ("Grace Hopper", "Estates lead")

    (message,) = mail.outbox
    assert message.subject.endswith("Confirm your email address")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    confirm_path = link_in(message, "/account/confirm-email/")
    assert confirm_path in html and confirm_path in message.body

    # Unverified: signing in only shows the "verify your email" page.
    sign_in(client, "grace@trust.example", "a-long-pass-phrase-2026")
    assert "_auth_user_id" not in client.session

    assert client.get(confirm_path).status_code == 200
    client.post(confirm_path)
    response = sign_in(client, "grace@trust.example", "a-long-pass-phrase-2026")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)
    assert "Grace Hopper" in client.get("/account/").content.decode()


def test_it_keeps_what_was_typed_and_summarises_errors_on_a_bad_sign_up(client):
    response = client.post(
        "/account/signup/",
        {"full_name": "Ada", "email": "not-an-email", "password1": "x", "password2": "y"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html
    assert 'value="Ada"' in html
    assert 'href="#id_email"' in html


@pytest.mark.django_db(transaction=True)  # email is sent once the request has committed
def test_it_resets_a_forgotten_password_end_to_end(client):
    person = UserFactory(email="reset@trust.example")
    client.post("/account/password/reset/", {"email": "reset@trust.example"})
    (message,) = mail.outbox
    assert message.alternatives[0][1] == "text/html"
    reset_path = link_in(message, "/account/password/reset/key/")

    form_page = client.get(reset_path, follow=True)
    assert form_page.status_code == 200
    set_path = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path
    response = client.post(
        set_path, {"password1": "brand-new-pass-phrase-9", "password2": "brand-new-pass-phrase-9"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("brand-new-pass-phrase-9")
    client.logout()
    sign_in(client, person.email, "brand-new-pass-phrase-9")
    assert client.session["_auth_user_id"] == str(person.pk)


def test_it_enrols_totp_and_then_asks_for_a_code_at_sign_in(client):
    person = UserFactory(email="mfa@trust.example")
    response = sign_in(client, person.email)
    assert client.session["_auth_user_id"] == str(person.pk), response.content.decode()[:3000]
    page = client.get("/account/2fa/totp/activate/")
    if page.status_code == 302 and "reauthenticate" in page["Location"]:
        # Sensitive changes ask for the password again.
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get("/account/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post("/account/2fa/totp/activate/", {"code": totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.RECOVERY_CODES).exists()

    client.logout()
    response = sign_in(client, person.email)
    assert response["Location"].startswith("/account/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    wrong = client.post("/account/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    # A code is good once: the next one comes from the authenticator 30 seconds later.
    later = time.time() + 31
    with time_machine.travel(later, tick=False):
        client.post("/account/2fa/authenticate/", {"code": totp(secret, later)})
    assert client.session["_auth_user_id"] == str(person.pk)


def test_it_refuses_sign_in_after_repeated_failures_for_one_account(client):
    person = UserFactory(email="target@trust.example")
    for _ in range(5):
        response = sign_in(client, person.email, "wrong-password")
        assert response.status_code == 200
    response = sign_in(client, person.email, PASSWORD)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed" in response.content.decode()


def test_the_admin_sign_in_goes_through_the_site_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_account_page_needs_sign_in_and_shows_details(client):
    assert client.get("/account/")["Location"].startswith("/account/login/")
    person = UserFactory(full_name="Mary Seacole", job_title="Director of Nursing")
    client.force_login(person)
    html = client.get("/account/").content.decode()
    assert "Mary Seacole" in html and "Director of Nursing" in html and person.email in html


def test_the_account_page_saves_details_and_summarises_errors(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post("/account/", {"full_name": "", "job_title": "Chief Executive"})
    html = response.content.decode()
    assert "nhsuk-error-summary" in html and 'value="Chief Executive"' in html
    client.post("/account/", {"full_name": "Nye Bevan", "job_title": "Minister"})
    person.refresh_from_db()
    assert person.full_name == "Nye Bevan"


def enrol_totp(client, person) -> str:
    """Sign in, confirm the password when asked and switch on TOTP; returns the secret."""
    sign_in(client, person.email)
    page = client.get("/account/2fa/totp/activate/")
    if page.status_code == 302 and "reauthenticate" in page["Location"]:
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get("/account/2fa/totp/activate/")
    html = page.content.decode()
    assert 'src="data:image/' in html and "nhsuk-button" in html
    assert "nhsuk-header" in html
    secret = client.session["mfa.totp.secret"]
    assert client.post("/account/2fa/totp/activate/", {"code": totp(secret)}).status_code == 302
    return secret


def test_recovery_codes_can_be_viewed_regenerated_and_downloaded(client):
    person = UserFactory(email="codes@trust.example")
    enrol_totp(client, person)
    codes = Authenticator.objects.get(user=person, type=Authenticator.Type.RECOVERY_CODES)
    first = codes.wrap().get_unused_codes()
    assert len(first) >= 10

    page = client.get("/account/2fa/recovery-codes/")
    assert page.status_code == 200
    assert first[0] in page.content.decode()

    download = client.get("/account/2fa/recovery-codes/download/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert first[0] in download.content.decode()

    regenerate = client.get("/account/2fa/recovery-codes/generate/")
    assert regenerate.status_code == 200 and "nhsuk-button" in regenerate.content.decode()
    client.post("/account/2fa/recovery-codes/generate/")
    fresh = Authenticator.objects.get(user=person, type=Authenticator.Type.RECOVERY_CODES)
    assert first[0] not in fresh.wrap().get_unused_codes()


def test_a_recovery_code_signs_in_instead_of_the_app(client):
    person = UserFactory(email="lost-phone@trust.example")
    enrol_totp(client, person)
    code = Authenticator.objects.get(user=person, type=Authenticator.Type.RECOVERY_CODES)
    spare = code.wrap().get_unused_codes()[0]
    client.logout()
    sign_in(client, person.email)
    assert "_auth_user_id" not in client.session
    client.post("/account/2fa/authenticate/", {"code": spare})
    assert client.session["_auth_user_id"] == str(person.pk)


def test_totp_can_be_switched_off(client):
    person = UserFactory(email="off@trust.example")
    secret = enrol_totp(client, person)
    page = client.get("/account/2fa/totp/deactivate/")
    assert page.status_code == 200 and "nhsuk-button" in page.content.decode()
    later = time.time() + 31
    with time_machine.travel(later, tick=False):
        client.post("/account/2fa/totp/deactivate/", {"code": totp(secret, later)})
    assert not Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()


@pytest.mark.django_db(transaction=True)  # email is sent once the request has committed
def test_a_second_email_address_is_added_verified_made_primary_and_removed(client):
    from allauth.account.models import EmailAddress

    person = UserFactory(email="first@trust.example")
    client.force_login(person)
    page = client.get("/account/email/")
    assert page.status_code == 200 and "nhsuk-button" in page.content.decode()

    client.post("/account/email/", {"action_add": "", "email": "second@trust.example"})
    (message,) = mail.outbox
    assert message.alternatives[0][1] == "text/html"
    confirm_path = link_in(message, "/account/confirm-email/")
    assert confirm_path in message.alternatives[0][0]

    # Not yet verified: it cannot become the primary address.
    client.post("/account/email/", {"action_primary": "", "email": "second@trust.example"})
    assert EmailAddress.objects.get_primary(person).email == "first@trust.example"

    # Resending straight away is held back (one message per address every 3 minutes)...
    response = client.post("/account/email/", {"action_send": "", "email": "second@trust.example"})
    assert response.status_code in (200, 302) and len(mail.outbox) == 1
    # ...and goes once the wait is over.
    with time_machine.travel(time.time() + 181, tick=False):
        client.post("/account/email/", {"action_send": "", "email": "second@trust.example"})
    assert len(mail.outbox) == 2

    client.post(confirm_path)
    client.post("/account/email/", {"action_primary": "", "email": "second@trust.example"})
    person.refresh_from_db()
    assert person.email == "second@trust.example"

    client.post("/account/email/", {"action_remove": "", "email": "first@trust.example"})
    assert not EmailAddress.objects.filter(email="first@trust.example").exists()


def test_changing_the_password_needs_the_current_one(client):
    person = UserFactory()
    client.force_login(person)
    wrong = client.post(
        "/account/password/change/",
        {"oldpassword": "not-it", "password1": "fresh-pass-phrase-77", "password2": "fresh-pass-phrase-77"},
    )
    assert wrong.status_code == 200 and "nhsuk-error-summary" in wrong.content.decode()
    client.post(
        "/account/password/change/",
        {"oldpassword": PASSWORD, "password1": "fresh-pass-phrase-77", "password2": "fresh-pass-phrase-77"},
    )
    person.refresh_from_db()
    assert person.check_password("fresh-pass-phrase-77")
