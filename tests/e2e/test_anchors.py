"""The joining journey in a real browser: register, verify, ask to join, approve."""

from anchors.models import Membership, Organisation
from tests.anchors.factories import OrganisationFactory, lead_of, listed, region
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory


def test_register_verify_ask_to_join_and_approve(pages):
    OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", ods_code="RR8")
    trust = listed(name="Northumbria Healthcare NHS Foundation Trust", ods_code="RTF", region=region("Y63"))
    registrant = UserFactory(full_name="Joanne Reed")
    lead = lead_of("Y63")
    joiner = UserFactory(full_name="Sam Okafor")

    # The directory is public and does not show the unregistered trust.
    pages.goto("/members/")
    assert "Leeds Teaching Hospitals" in pages.page.inner_text("main")
    assert "Northumbria" not in pages.page.inner_text("main")

    # 1. Register the trust by finding it in the ODS list.
    sign_in(pages, registrant.email)
    pages.goto("/members/register/")
    pages.page.fill("input[name=q]", "RTF")
    pages.submit("main form button[type=submit]")
    pages.submit("text=Register Northumbria Healthcare NHS Foundation Trust")
    assert "Awaiting verification" in pages.page.inner_text("main")
    pages.goto("/account/")

    # 2. The regional lead verifies it from their queue.
    sign_in(pages, lead.email)
    pages.goto("/members/verification/")
    with pages.page.expect_navigation():
        pages.page.click("text=Northumbria Healthcare NHS Foundation Trust")
    pages.check()
    pages.submit("button:has-text(\"Verify Northumbria\")")
    assert "is verified" in pages.page.inner_text("main")
    trust.refresh_from_db()
    assert trust.status == Organisation.Status.VERIFIED

    # 3. Someone else asks to join it, with a reason (a missing one is caught first).
    sign_in(pages, joiner.email)
    pages.goto(trust.get_absolute_url())
    with pages.page.expect_navigation():
        pages.page.click("text=Ask to join Northumbria Healthcare NHS Foundation Trust")
    pages.check()
    pages.submit()
    assert pages.page.locator(".nhsuk-error-summary").is_visible()
    pages.page.fill("textarea[name=reason]", "I manage procurement for the trust.")
    pages.submit()
    assert "asked to join" in pages.page.inner_text("main")

    # 4. The registrant, now its admin, approves the request.
    sign_in(pages, registrant.email)
    pages.goto(f"/members/{trust.slug}/requests/")
    assert "I manage procurement for the trust." in pages.page.inner_text("main")
    pages.submit("button:has-text(\"Approve Sam Okafor\")")
    assert "Nobody is waiting" in pages.page.inner_text("main")
    assert Membership.objects.active().filter(user=joiner, organisation=trust).exists()
    pages.goto(f"/members/{trust.slug}/edit/")
    pages.goto(f"/members/{trust.slug}/admins/")
    pages.goto("/account/")


def test_coordinator_pages_and_directory_filters_are_accessible(pages):
    from tests.anchors.factories import coordinator, pillar

    OrganisationFactory(name="Alder Hey Children's NHS Foundation Trust", region=region("Y62"), pillars=[pillar("estates")])
    OrganisationFactory(name="Royal Free London NHS Foundation Trust", region=region("Y56"))
    lead_of("Y63")
    boss = coordinator()
    pages.goto("/members/?region=north-west&pillar=estates")
    assert "Alder Hey" in pages.page.inner_text("main")
    assert "Royal Free" not in pages.page.inner_text("main")
    pages.goto("/members/?region=atlantis")
    sign_in(pages, boss.email)
    pages.goto("/members/roles/")
    pages.page.fill("input[name=coordinator-email]", "nobody@example.org")
    pages.submit("button:has-text(\"Appoint coordinator\")")
    assert pages.page.locator(".nhsuk-error-summary").is_visible()
    pages.goto("/members/register/partner/")
    pages.submit()
    assert pages.page.locator(".nhsuk-error-summary").is_visible()
