"""Every link in every email points at SITE_URL (which `make run PORT=…` sets), never at the
host and port the request happened to arrive on."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

# Transactional: allauth emails are sent from the outbox once the request has committed.
pytestmark = pytest.mark.django_db(transaction=True)

SITE = "http://127.0.0.1:8123"


def links(message) -> list[str]:
    html = message.alternatives[0][0] if message.alternatives else ""
    return re.findall(r"https?://[^\s\"'<>]+", message.body + html)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def assert_all_on_site(messages):
    found = [url for message in messages for url in links(message)]
    assert found, "expected links in the emails"
    strays = [url for url in found if not url.startswith(SITE + "/")]
    assert strays == []


def test_sign_up_verification_links_use_site_url(client):
    client.post(
        "/account/signup/",
        {
            "full_name": "Grace Hopper",
            "email": "grace@trust.example",
            "password1": "a-long-pass-phrase-2026",
            "password2": "a-long-pass-phrase-2026",
        },
        HTTP_HOST="localhost",
    )
    assert len(mail.outbox) == 1
    assert_all_on_site(mail.outbox)


def test_password_reset_links_use_site_url(client):
    UserFactory(email="ada@trust.example")
    client.post("/account/password/reset/", {"email": "ada@trust.example"}, HTTP_HOST="localhost")
    assert len(mail.outbox) == 1
    assert_all_on_site(mail.outbox)


def test_reset_for_an_unknown_address_links_use_site_url(client, settings):
    settings.ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
    client.post("/account/password/reset/", {"email": "nobody@trust.example"}, HTTP_HOST="localhost")
    assert len(mail.outbox) == 1
    assert_all_on_site(mail.outbox)
