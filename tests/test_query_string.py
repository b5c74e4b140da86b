"""A NUL byte in the query string never reaches a query: every page that reads one answers as
if it were not there (PostgreSQL refuses NUL in text, so it used to answer 500)."""

import pytest

from tests.anchors.factories import admin_of, coordinator, lead_of
from tests.casestudies.factories import PublishedCaseStudyFactory

pytestmark = pytest.mark.django_db

PARAMETERS = ["q", "pillar", "region", "tag", "type", "page", "status", "org"]

PUBLIC_PAGES = ["/case-studies/", "/members/", "/groups/", "/case-studies/feed/", "/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@pytest.mark.parametrize("name", PARAMETERS)
def test_it_ignores_a_nul_byte_in_any_parameter(client, path, name):
    PublishedCaseStudyFactory(title="Local supply of gowns")
    response = client.get(f"{path}?{name}=gowns%00")
    assert response.status_code == 200


def test_it_keeps_the_rest_of_the_value(client):
    PublishedCaseStudyFactory(title="Local supply of gowns")
    response = client.get("/case-studies/?q=gow%00ns")
    assert response.status_code == 200
    assert response.wsgi_request.GET["q"] == "gowns"
    assert "Local supply of gowns" in response.content.decode()


def test_it_cleans_a_nul_byte_in_a_parameter_name(client):
    response = client.get("/case-studies/?q%00=x")
    assert response.status_code == 200
    assert "q" in response.wsgi_request.GET


@pytest.mark.parametrize(
    "path", ["/case-studies/moderation/", "/members/verification/", "/digests/", "/account/"]
)
def test_signed_in_pages_ignore_a_nul_byte(client, path):
    person = coordinator()
    lead_of("Y63")
    admin_of(PublishedCaseStudyFactory().organisation)
    client.force_login(person)
    response = client.get(f"{path}?q=%00&page=%00&status=%00")
    assert response.status_code == 200
