from django.core import mail

from network.models import Delivery, Digest, DigestPreference, GroupMembership, Post
from tests.anchors.factories import OrganisationFactory, coordinator, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.e2e.conftest import sign_in
from tests.network.factories import GroupFactory


def test_join_post_then_a_coordinator_sends_a_digest_and_a_reader_unsubscribes(pages, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = pages.url("").rstrip("/")
    group = GroupFactory(name="Anchor procurement", description="Buying for local benefit.")
    reader = member_of(OrganisationFactory(), user__full_name="Ravi Patel")
    PublishedCaseStudyFactory(title="Local food on the wards")

    # A member joins the group and starts a discussion.
    sign_in(pages, reader.email)
    pages.goto(group.get_absolute_url())
    pages.submit("button:has-text('Join this group')")
    assert GroupMembership.objects.filter(group=group, user=reader, status="active").exists()
    with pages.page.expect_navigation():
        pages.page.click("text=Start a discussion")
    pages.check()
    pages.page.fill("input[name=title]", "Menus from local farms")
    pages.page.fill("textarea[name=body]", "Who buys **local** produce?")
    pages.submit()
    assert Post.objects.filter(thread__group=group).count() == 1

    # A coordinator composes, previews and sends a digest.
    boss = coordinator()
    sign_in(pages, boss.email)
    pages.goto("/digests/")
    with pages.page.expect_navigation():
        pages.page.click("text=Compose a digest")
    pages.check()
    pages.page.fill("input[name=subject]", "Spring digest")
    pages.page.fill("textarea[name=introduction]", "News from around the network.")
    assert pages.page.is_checked("text=Local food on the wards")
    pages.submit()
    assert "Spring digest" in pages.page.inner_text("h1")
    with pages.page.expect_navigation():
        pages.page.click("text=Preview the email")
    pages.check()
    email = pages.page.frame_locator("iframe[title='The digest email']")
    assert "Local food on the wards" in email.locator("body").inner_text()
    assert f"Dear {boss.full_name}" in email.locator("body").inner_text()
    pages.page.go_back()
    pages.submit("a:has-text('Send now')")
    assert "Send this digest now?" in pages.page.inner_text("h1")
    pages.submit("button:has-text('now')")
    assert "being sent" in pages.page.inner_text("main")
    digest = Digest.objects.get(subject="Spring digest")
    assert digest.deliveries.filter(status=Delivery.Status.SENT).count() == 1
    pages.goto(digest.get_absolute_url())
    assert "Sent" in pages.page.inner_text("main")

    # The reader unsubscribes from the link in the email, without signing in.
    (message,) = [m for m in mail.outbox if m.to == [reader.email] and m.subject == "Spring digest"]
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link in message.body
    pages.page.context.clear_cookies()
    pages.goto(link.removeprefix(settings.SITE_URL))
    pages.submit("main form button[type=submit]")
    assert "You have unsubscribed" in pages.page.inner_text("h1")
    assert DigestPreference.objects.get(user=reader).coordinator_digests is False
