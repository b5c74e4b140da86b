"""The network's pages and emails in Welsh: learning groups, the digest composer, form errors,
and digests written in each reader's own language within one send.

Needs the compiled catalogue with the network's Welsh: `python scripts/welsh.py build`.
"""

import html
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from network import digests, services
from network import emails as digest_mail
from network.models import Delivery, Digest, Event, Group, GroupMembership
from tests.anchors.factories import OrganisationFactory, coordinator, member_of, pillar
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import ResourceFactory

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_between_tests(settings):
    """A request to a /cy/ page leaves Welsh active in this thread: reset it, so `reverse` and
    the next test start in English."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://network.example.org"
    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


def welsh(name: str, *args, **kwargs) -> str:
    with translation.override("cy"):
        return reverse(name, args=args, kwargs=kwargs)


def english(name: str, *args, **kwargs) -> str:
    with translation.override("en-gb"):
        return reverse(name, args=args, kwargs=kwargs)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def speaking(user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def members(n: int, language: str = "en-gb") -> list[User]:
    organisation = OrganisationFactory()
    return [speaking(member_of(organisation), language) for _ in range(n)]


# --- Pages -------------------------------------------------------------------------------------


def test_a_group_page_under_cy_is_in_welsh_for_visitors_and_members(client):
    group = GroupFactory(name="Caffael lleol", pillar=pillar("purchasing"))
    lead = member_of(OrganisationFactory(), user__full_name="Siân Arweinydd")
    join(group, lead, role=GroupMembership.Role.LEAD)
    thread_in(group, lead, title="Cwestiwn am fwyd")

    page = text_of(client.get(welsh("network:group", slug=group.slug)))
    assert 'lang="cy"' in page
    assert "Grŵp thematig" in page and "Dan arweiniad" in page and "Ymuno" in page
    assert "Gall unrhyw un yn y rhwydwaith ymuno" in page  # the join policy's Welsh label
    assert "Mewngofnodwch</a> i ymuno â'r grŵp hwn" in page
    assert pillar("purchasing").name_cy in page  # the pillar by its Welsh name
    assert "Thematic group" not in page and "Led by" not in page

    page = text_of(client.get(english("network:group", slug=group.slug)))
    assert 'lang="en-GB"' in page and "Thematic group" in page and "Grŵp thematig" not in page

    client.force_login(lead)
    page = text_of(client.get(welsh("network:group", slug=group.slug)))
    assert "Chi sy'n arwain y grŵp hwn" in page and "Trafodaethau" in page
    assert "Dechreuwyd gan Siân Arweinydd, 0 ateb" in page
    assert "Cwestiwn am fwyd" in page  # what members write stays as written


def test_the_group_list_and_a_thread_are_in_welsh(client):
    group = GroupFactory()
    member = member_of(OrganisationFactory())
    join(group, member)
    thread = thread_in(group, member)
    client.force_login(member)
    page = text_of(client.get(welsh("network:groups")))
    assert "Grwpiau dysgu" in page and "Grwpiau thematig" in page and "Aelod" in page
    page = text_of(client.get(welsh("network:thread", slug=group.slug, pk=thread.pk)))
    assert "Eich ateb" in page and "Anfon ateb" in page
    assert "Gallwch ddefnyddio Markdown" in page


def test_the_digest_composer_under_cy_is_in_welsh(client):
    client.force_login(coordinator())
    page = text_of(client.get(welsh("network:digest_new")))
    assert 'lang="cy"' in page
    assert "Ysgrifennu crynodeb" in page and "Cadw a rhagweld" in page
    assert "Pwnc" in page and "Cyflwyniad" in page and "Cynulleidfa" in page
    assert "Pawb yn y rhwydwaith" in page  # audience choices
    assert "Compose a digest" not in page and "Everyone in the network" not in page


def test_a_bad_digest_is_answered_in_welsh_and_keeps_what_was_typed(client):
    client.force_login(coordinator())
    response = client.post(
        welsh("network:digest_new"),
        {"subject": "Newyddion yr hydref", "introduction": "Helo bawb.", "audience": "regions"},
    )
    page = text_of(response)
    assert response.status_code == 200
    assert "nhsuk-error-summary" in page
    assert "Dewiswch o leiaf un rhanbarth." in page
    assert "Choose at least one region." not in page
    assert "Newyddion yr hydref" in page


def test_a_bad_event_is_answered_in_welsh(client):
    group = GroupFactory()
    lead = member_of(OrganisationFactory())
    join(group, lead, role=GroupMembership.Role.LEAD)
    client.force_login(lead)
    response = client.post(
        welsh("network:event_new", slug=group.slug),
        {"title": "Cyfarfod", "starts_at": "14/01/2027 12:00", "ends_at": "14/01/2027 10:00"},
    )
    page = text_of(response)
    assert response.status_code == 200 and "nhsuk-error-summary" in page
    assert "Rhaid i'r digwyddiad orffen ar ôl iddo ddechrau." in page
    assert "Rhowch le neu ddolen ar-lein." in page
    assert "Cyfarfod" in page


def test_a_clock_change_time_is_explained_in_welsh(client):
    group = GroupFactory()
    lead = member_of(OrganisationFactory())
    join(group, lead, role=GroupMembership.Role.LEAD)
    client.force_login(lead)
    response = client.post(
        welsh("network:event_new", slug=group.slug),
        {"title": "Cyfarfod", "starts_at": "28/03/2027 01:30", "ends_at": "28/03/2027 03:00", "location": "Caerdydd"},
    )
    page = text_of(response)
    assert "Dydy 1:30yb ar 28 Mawrth 2027 ddim yn bodoli yn amser y DU" in page


def test_a_refusal_from_the_services_is_in_welsh(client):
    group = GroupFactory(join_policy=Group.JoinPolicy.OPEN)
    member = member_of(OrganisationFactory())
    join(group, member)
    client.force_login(member)
    response = client.post(welsh("network:join", slug=group.slug), follow=True)
    assert "Rydych chi eisoes yn aelod o'r grŵp hwn." in text_of(response)


def test_unsubscribing_from_a_welsh_page(client):
    person = speaking(member_of(OrganisationFactory()), "cy")
    link = digests.unsubscribe_url(user_id=person.pk, kind=Digest.Kind.PERSONAL)
    path = link.removeprefix("https://network.example.org")
    page = text_of(client.get("/cy" + path))
    assert "Dad-danysgrifio o grynodebau personol" in page
    page = text_of(client.post("/cy" + path))
    assert "Rydych wedi dad-danysgrifio" in page and "Fyddwch chi ddim yn cael rhagor o grynodebau personol" in page


# --- Emails in each reader's language ------------------------------------------------------------


def test_one_send_writes_to_welsh_and_english_readers_each_in_their_language(
    django_capture_on_commit_callbacks,
):
    [cymro] = members(1, "cy")
    [english] = members(1, "en-gb")
    digest = Digest.objects.create(
        kind=Digest.Kind.COORDINATOR, subject="Newyddion / News", introduction="Written once, by the coordinator."
    )
    story = PublishedCaseStudyFactory(title="Bwyd lleol")
    digest.case_studies.add(story)
    digest.resources.add(ResourceFactory(kind="toolkit"))
    with django_capture_on_commit_callbacks(execute=True):
        assert digests.digest_start(digest_id=digest.pk)
    sent = {message.to[0]: message for message in mail.outbox}
    assert set(sent) == {cymro.email, english.email}

    welsh_mail, english_mail = sent[cymro.email], sent[english.email]
    # The coordinator's own words stay as written, in both.
    for message in (welsh_mail, english_mail):
        assert message.subject == "Newyddion / News"
        assert "Written once, by the coordinator." in message.body
        assert "Bwyd lleol" in message.body
    welsh_html = welsh_mail.alternatives[0][0]
    assert f"Annwyl {cymro.full_name}," in welsh_mail.body
    assert "ASTUDIAETHAU ACHOS" in welsh_mail.body and "Pecyn cymorth" in welsh_mail.body
    assert "Dad-danysgrifio: https://network.example.org/cy/digests/unsubscribe/" in welsh_mail.body
    assert 'lang="cy"' in welsh_html and "Astudiaethau achos" in welsh_html
    assert f"https://network.example.org/cy{story.get_absolute_url()}" in welsh_html
    assert "Dear " not in welsh_mail.body
    # The List-Unsubscribe header still works with one POST whatever the language.
    assert welsh_mail.extra_headers["List-Unsubscribe"].startswith("<https://network.example.org/cy/digests/")

    assert f"Dear {english.full_name}," in english_mail.body
    assert "CASE STUDIES" in english_mail.body and "Toolkit" in english_mail.body
    assert "Unsubscribe: https://network.example.org/digests/unsubscribe/" in english_mail.body
    assert 'lang="en-GB"' in english_mail.alternatives[0][0]
    assert "Annwyl" not in english_mail.body


def test_a_welsh_readers_personal_digest_is_welsh_from_its_subject(django_capture_on_commit_callbacks):
    [cymro] = members(1, "cy")
    [english] = members(1, "en-gb")
    group = GroupFactory()
    join(group, cymro)
    thread = thread_in(group, cymro, title="Trafod")
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(group=group, title="Cwrdd", starts_at=start, ends_at=start + timedelta(hours=1), location="Bangor")
    digest = Digest.objects.create(
        kind=Digest.Kind.PERSONAL, subject=digest_mail.PERSONAL_SUBJECT, status=Digest.Status.SENDING
    )
    items = {"threads": [thread.pk], "events": [event.pk]}
    rows = [
        Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING, items=items)
        for p in (cymro, english)
    ]
    built = dict(digests.build_messages([r.pk for r in rows]))
    welsh_mail, english_mail = built[rows[0].pk], built[rows[1].pk]
    assert welsh_mail.subject == "Eich crynodeb gan Rwydwaith Dysgu Sefydliadau Angori"
    assert english_mail.subject == "Your Anchors Learning Network digest"
    assert "TRAFODAETHAU NEWYDD YN EICH GRWPIAU" in welsh_mail.body and "Trafod yn " in welsh_mail.body
    assert "DIGWYDDIADAU I DDOD" in welsh_mail.body
    month = timezone.localtime(start, digests.LONDON).strftime("%m")
    assert "NEW DISCUSSIONS IN YOUR GROUPS" in english_mail.body and "UPCOMING EVENTS" in english_mail.body
    # Dates in each language: Welsh month names for the Welsh reader.
    welsh_months = ["Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr"]
    assert welsh_months[int(month) - 1] in welsh_mail.body


def test_each_message_of_a_mixed_chunk_is_exactly_what_rendering_it_alone_gives():
    readers = members(2, "cy") + members(2, "en-gb")
    digest = Digest.objects.create(
        kind=Digest.Kind.COORDINATOR, subject="News", introduction="Hi.", status=Digest.Status.SENDING
    )
    digest.case_studies.add(PublishedCaseStudyFactory())
    rows = [Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING) for p in readers]
    import time_machine

    with time_machine.travel(timezone.now(), tick=False):
        built = dict(digests.build_messages([r.pk for r in rows]))
        for row in rows:
            context = digest_mail.digest_context(
                digest=digest, recipient=row.recipient, case_studies=digest_mail.coordinator_items(digest)
            )
            alone = digest_mail.make_message(digest=digest, recipient=row.recipient, context=context)
            message = built[row.pk]
            assert (message.subject, message.body, message.alternatives, message.extra_headers) == (
                alone.subject, alone.body, alone.alternatives, alone.extra_headers
            )


def _count(ids) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert len(digests.build_messages(ids)) == len(ids)
    return len(ctx)


def test_a_mixed_language_chunk_costs_the_same_queries_as_one_reader():
    readers = members(25, "cy") + members(25, "en-gb")
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News", status=Digest.Status.SENDING)
    digest.case_studies.add(PublishedCaseStudyFactory(), PublishedCaseStudyFactory())
    rows = [Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING) for p in readers]
    # The rows with their recipients (and so their languages), the case studies, the resources.
    assert _count([rows[0].pk]) == _count([rows[-1].pk]) == _count([r.pk for r in rows]) == 3


def test_a_mixed_language_personal_chunk_costs_the_same_queries_as_one_reader():
    readers = members(25, "cy") + members(25, "en-gb")
    group = GroupFactory()
    join(group, readers[0])
    thread = thread_in(group, readers[0])
    digest = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Yours", status=Digest.Status.SENDING)
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(group=group, title="Cwrdd", starts_at=start, ends_at=start + timedelta(hours=1), location="Rhyl")
    items = {
        "case_studies": [PublishedCaseStudyFactory().pk],
        "resources": [ResourceFactory().pk],
        "threads": [thread.pk],
        "events": [event.pk],
    }
    rows = [
        Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING, items=items)
        for p in readers
    ]
    # The rows with their recipients, then case studies, resources, threads and events by id:
    # the same four whether the chunk holds one reader or fifty in two languages.
    assert _count([rows[0].pk]) == _count([r.pk for r in rows]) == 5


def test_the_chunk_renders_the_templates_once_per_language(monkeypatch):
    readers = members(3, "cy") + members(3, "en-gb")
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News", status=Digest.Status.SENDING)
    rows = [Delivery.objects.create(digest=digest, recipient=p, status=Delivery.Status.SENDING) for p in readers]
    languages = []
    real = digest_mail.render_digest

    def counting(context):
        languages.append(context["LANGUAGE_CODE"])
        return real(context)

    monkeypatch.setattr(digest_mail, "render_digest", counting)
    digests.build_messages([r.pk for r in rows])
    assert sorted(languages) == ["cy", "en-gb"]


# --- The other network emails --------------------------------------------------------------------


def test_group_emails_go_to_each_person_in_their_language(django_capture_on_commit_callbacks):
    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST, name="Grŵp caffael")
    welsh_lead = speaking(member_of(OrganisationFactory()), "cy")
    english_lead = speaking(member_of(OrganisationFactory()), "en-gb")
    join(group, welsh_lead, role=GroupMembership.Role.LEAD)
    join(group, english_lead, role=GroupMembership.Role.LEAD)
    asker = speaking(member_of(OrganisationFactory()), "cy")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.group_join(group=group, user=asker, reason="Dw i eisiau dysgu.")
    to = {m.to[0]: m for m in mail.outbox}
    assert "wedi gofyn am gael ymuno â Grŵp caffael" in to[welsh_lead.email].subject
    assert "Cymeradwyo neu wrthod y cais" in to[welsh_lead.email].body
    assert to[english_lead.email].subject.endswith("asked to join Grŵp caffael")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.group_request_decide(membership=membership, by=english_lead, approve=True)
    [decided] = mail.outbox
    assert decided.to == [asker.email]
    assert decided.subject == "Rydych wedi ymuno â Grŵp caffael"
    assert "/cy/groups/" in decided.body


def test_a_reply_email_is_in_the_authors_language(django_capture_on_commit_callbacks):
    group = GroupFactory()
    author = speaking(member_of(OrganisationFactory()), "cy")
    other = member_of(OrganisationFactory())
    join(group, author)
    join(group, other)
    thread = thread_in(group, author, title="Prydau ysbyty")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_reply(thread=thread, by=other, body="Syniad da.")
    [reply] = [m for m in mail.outbox if m.to == [author.email]]
    assert reply.subject == 'Ateb newydd yn "Prydau ysbyty"'
    assert "Darllen ac ateb" in reply.body and "Syniad da." in reply.body


def test_a_test_copy_goes_to_the_coordinator_in_their_language():
    person = speaking(coordinator(), "cy")
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="Newyddion")
    message = digests.test_message(digest=digest, to=person)
    assert message.subject == "[Prawf] Newyddion"
    assert "Annwyl" in message.body




def test_following_a_region_from_a_welsh_page_names_it_in_welsh(client):
    from tests.anchors.factories import region

    client.force_login(member_of(OrganisationFactory()))
    wales = region("WLS")
    response = client.post(
        welsh("network:follow", kind="region", pk=wales.pk),
        {"action": "follow"},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.json()["on"] is True
    assert "Cymru" in response.json()["message"] and "Wales" not in response.json()["message"]
