def test_it_serves_an_accessible_home_page(pages):
    pages.goto("/")
    assert pages.page.locator("h1").inner_text().startswith("Learn how NHS organisations")
    assert pages.page.locator(".nhsuk-header__service-name").inner_text() == "Anchors Learning Network"
