"""Signing out keeps the language the person was reading."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signing_out_from_a_welsh_page_lands_on_the_welsh_home_page(client):
    client.force_login(UserFactory(language="en-gb"))
    response = client.post("/cy/account/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/cy/"
    assert "_auth_user_id" not in client.session


def test_signing_out_from_an_english_page_lands_on_the_english_home_page(client):
    # Even when the account's own language is Welsh: the page read last decides.
    client.force_login(UserFactory(language="cy"))
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_next_page_is_still_followed(client):
    client.force_login(UserFactory())
    response = client.post("/cy/account/logout/", {"next": "/cy/case-studies/"})
    assert response["Location"] == "/cy/case-studies/"
