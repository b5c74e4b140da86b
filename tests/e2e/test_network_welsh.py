"""Learning groups and digests in Welsh through a real browser (axe-checked on every visit): a
Welsh-speaking member joins a group and starts a discussion (an empty one answered in Welsh), a
coordinator composes a digest on the Welsh pages (a bad audience answered in Welsh), previews and
sends it, and each reader gets it in their own language."""

from django.core import mail

from network.models import Digest, GroupMembership, Post
from tests.anchors.factories import OrganisationFactory, coordinator, member_of, pillar
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.e2e.conftest import sign_in
from tests.network.factories import GroupFactory


def test_a_group_and_a_digest_in_welsh(pages, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = pages.url("").rstrip("/")
    group = GroupFactory(name="Caffael er budd lleol", pillar=pillar("purchasing"))
    cymro = member_of(OrganisationFactory(), user__full_name="Elin Hughes", user__language="cy")
    english = member_of(OrganisationFactory(), user__full_name="Ravi Patel")
    PublishedCaseStudyFactory(title="Bwyd lleol ar y wardiau")

    pages.goto("/cy/groups/")
    assert pages.page.get_attribute("html", "lang") == "cy"
    assert "Grwpiau thematig" in pages.page.inner_text("main")

    sign_in(pages, cymro.email)
    pages.goto(f"/cy{group.get_absolute_url()}")
    assert "Grŵp thematig" in pages.page.inner_text("main")
    pages.submit('button:has-text("Ymuno â\'r grŵp hwn")')
    assert GroupMembership.objects.filter(group=group, user=cymro, status="active").exists()
    assert "Rydych wedi ymuno â Caffael er budd lleol." in pages.page.inner_text("main")
    pages.follow("text=Dechrau trafodaeth")
    pages.submit()  # nothing typed
    assert pages.page.get_attribute("html", "lang") == "cy"
    summary = pages.page.inner_text(".nhsuk-error-summary")
    assert "Llenwch y maes ‘teitl’" in summary and "Llenwch y maes ‘eich neges’" in summary
    pages.page.fill("input[name=title]", "Bwydlenni o ffermydd lleol")
    pages.page.fill("textarea[name=body]", "Pwy sy'n prynu cynnyrch **lleol**?")
    pages.submit()
    assert "Mae eich trafodaeth wedi dechrau." in pages.page.inner_text("main")
    assert Post.objects.filter(thread__group=group).count() == 1

    boss = coordinator()
    sign_in(pages, boss.email)
    pages.goto("/cy/digests/")
    pages.follow("text=Ysgrifennu crynodeb")
    pages.page.fill("input[name=subject]", "Crynodeb y gwanwyn")
    pages.page.fill("textarea[name=introduction]", "Newyddion o bob rhan o'r rhwydwaith.")
    pages.page.check("input[name=audience][value=regions]")
    pages.submit()  # regions chosen as the audience, but none ticked
    assert "Dewiswch o leiaf un rhanbarth." in pages.page.inner_text(".nhsuk-error-summary")
    assert pages.page.input_value("input[name=subject]") == "Crynodeb y gwanwyn"
    pages.page.check("input[name=audience][value=everyone]")
    pages.submit()
    assert "Crynodeb y gwanwyn" in pages.page.inner_text("h1")
    pages.follow("text=Rhagweld yr e-bost")
    email = pages.page.frame_locator("iframe[title='E-bost y crynodeb']")
    assert "Annwyl" in email.locator("body").inner_text()
    pages.page.go_back()
    pages.follow("a:has-text('Anfon nawr')")
    assert "Anfon y crynodeb hwn nawr?" in pages.page.inner_text("h1")
    pages.submit("button:has-text('nawr')")
    assert "Mae'r crynodeb wrthi'n cael ei anfon." in pages.page.inner_text("main")

    digest = Digest.objects.get(subject="Crynodeb y gwanwyn")
    to = {m.to[0]: m for m in mail.outbox if m.subject == digest.subject}
    assert "Annwyl Elin Hughes," in to[cymro.email].body
    assert "Dear Ravi Patel," in to[english.email].body
