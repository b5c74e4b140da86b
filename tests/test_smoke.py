import pytest


@pytest.mark.django_db
def test_it_serves_the_home_page_in_the_nhs_layout(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anchors Learning Network" in html
    assert 'class="nhsuk-header' in html
    assert 'href="#maincontent"' in html
