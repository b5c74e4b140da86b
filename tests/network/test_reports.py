"""Members report posts to the group's leads, who hide the post or dismiss the report."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network import services
from network.models import GroupMembership, PostReport
from tests.anchors.factories import OrganisationFactory, coordinator, lead_of, member_of, region
from tests.factories import UserFactory

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory(name="Social value")


@pytest.fixture
def lead(group):
    person = UserFactory(full_name="Lena Lead")
    join(group, person, GroupMembership.Role.LEAD)
    return person


@pytest.fixture
def writer(group):
    person = member_of(OrganisationFactory(), user__full_name="Wes Writer")
    join(group, person)
    return person


@pytest.fixture
def reader(group):
    person = member_of(OrganisationFactory(), user__full_name="Rita Reader")
    join(group, person)
    return person


@pytest.fixture
def post(group, writer):
    return thread_in(group, writer, title="Tender scoring").posts.get()


def report_url(post) -> str:
    return f"/groups/{post.thread.group.slug}/posts/{post.pk}/report/"


def queue_url(group) -> str:
    return f"/groups/{group.slug}/reports/"


# --- The service ---------------------------------------------------------------------------------


def test_a_member_reports_a_post_and_the_leads_are_emailed(
    post, reader, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.post_report(post=post, by=reader, reason="It names a patient.")
    assert report.status == PostReport.Status.OPEN and report.reported_by == reader
    (message,) = mail.outbox
    assert message.to == [lead.email]
    assert "It names a patient." in message.body and "Tender scoring" in message.body
    assert f"/groups/{post.thread.group.slug}/reports/" in message.body
    assert "It names a patient." in message.alternatives[0][0]


def test_a_group_without_leads_sends_reports_to_the_coordinators(
    django_capture_on_commit_callbacks,
):
    group = GroupFactory()
    writer, reader = (member_of(OrganisationFactory()) for _ in range(2))
    join(group, writer)
    join(group, reader)
    boss = coordinator()
    post = thread_in(group, writer).posts.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_report(post=post, by=reader, reason="Advertising")
    assert mail.outbox[0].to == [boss.email]


def test_a_member_cannot_report_the_same_post_twice(post, reader, lead):
    services.post_report(post=post, by=reader, reason="Rude")
    with pytest.raises(services.InvalidState, match="already reported"):
        services.post_report(post=post, by=reader, reason="Still rude")
    assert PostReport.objects.count() == 1


def test_non_members_cannot_report_and_a_reason_is_needed(post, reader, lead):
    outsider = member_of(OrganisationFactory())
    with pytest.raises(services.NotAllowed):
        services.post_report(post=post, by=outsider, reason="Rude")
    with pytest.raises(services.InvalidState):
        services.post_report(post=post, by=reader, reason="   ")
    with pytest.raises(services.InvalidState):
        services.post_report(post=post, by=post.author, reason="My own")
    assert not PostReport.objects.exists()


def test_hiding_the_post_settles_its_reports_with_who_and_when(post, reader, lead):
    report = services.post_report(post=post, by=reader, reason="Rude")
    services.post_hide(post=post, by=lead, reason="Against the group's rules")
    report.refresh_from_db()
    assert report.status == PostReport.Status.HIDDEN
    assert report.decided_by == lead and report.decided_at is not None


def test_only_leads_dismiss_a_report_and_only_once(post, reader, lead, writer):
    report = services.post_report(post=post, by=reader, reason="Rude")
    with pytest.raises(services.NotAllowed):
        services.post_report_dismiss(report=report, by=writer)
    services.post_report_dismiss(report=report, by=lead)
    report.refresh_from_db()
    assert report.status == PostReport.Status.DISMISSED
    assert report.decided_by == lead and report.decided_at is not None
    with pytest.raises(services.InvalidState):
        services.post_report_dismiss(report=report, by=lead)


# --- Pages ---------------------------------------------------------------------------------------


def test_the_thread_offers_report_this_post_to_members_but_not_on_their_own(
    client, post, reader, writer
):
    client.force_login(reader)
    assert "Report this post" in client.get(post.thread.get_absolute_url()).content.decode()
    client.force_login(writer)
    assert "Report this post" not in client.get(post.thread.get_absolute_url()).content.decode()


def test_a_member_reports_from_the_form_page(client, post, reader, lead):
    client.force_login(reader)
    page = client.get(report_url(post))
    assert page.status_code == 200 and "Report a post" in page.content.decode()
    empty = client.post(report_url(post), {"reason": ""})
    assert empty.status_code == 200 and "nhsuk-error-summary" in empty.content.decode()
    response = client.post(report_url(post), {"reason": "Shares a phone number"}, follow=True)
    html = response.content.decode()
    assert "The group&#x27;s leads have been told" in html
    assert "You reported this post" in html and "Report this post" not in html
    assert PostReport.objects.get().reason == "Shares a phone number"
    again = client.post(report_url(post), {"reason": "Again"})
    assert "You have already reported this post." in again.content.decode()
    assert PostReport.objects.count() == 1


def test_visitors_and_non_members_cannot_report(client, post):
    assert client.get(report_url(post)).status_code == 302  # to sign in
    assert client.post(report_url(post), {"reason": "x"}).status_code == 302
    client.force_login(member_of(OrganisationFactory()))
    assert client.get(report_url(post)).status_code == 403
    assert client.post(report_url(post), {"reason": "x"}).status_code == 403
    assert not PostReport.objects.exists()


def test_a_lead_sees_the_queue_and_dismisses_a_report(client, post, reader, lead):
    services.post_report(post=post, by=reader, reason="Shares a phone number")
    client.force_login(lead)
    group_page = client.get(post.thread.group.get_absolute_url()).content.decode()
    assert "Reported posts (1)" in group_page
    html = client.get(queue_url(post.thread.group)).content.decode()
    assert "Shares a phone number" in html and "Rita Reader" in html and "What do you think?" in html
    report = PostReport.objects.get()
    response = client.post(queue_url(post.thread.group), {"report": report.pk}, follow=True)
    assert "The report is dismissed" in response.content.decode()
    assert "Shares a phone number" not in response.content.decode()
    report.refresh_from_db()
    assert report.status == PostReport.Status.DISMISSED and report.decided_by == lead


def test_a_lead_hides_a_reported_post_from_the_queue(client, post, reader, lead):
    services.post_report(post=post, by=reader, reason="Rude")
    client.force_login(lead)
    hide_url = f"/groups/{post.thread.group.slug}/posts/{post.pk}/hide/?from=reports"
    assert hide_url in client.get(queue_url(post.thread.group)).content.decode().replace("&amp;", "&")
    response = client.post(hide_url, {"reason": "Not kind"})
    assert response.status_code == 302 and response["Location"] == queue_url(post.thread.group)
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_by == lead
    assert PostReport.objects.get().status == PostReport.Status.HIDDEN


def test_the_queue_is_refused_to_members_outsiders_and_visitors(client, post, reader, writer):
    report = services.post_report(post=post, by=reader, reason="Rude")
    url = queue_url(post.thread.group)
    assert client.get(url).status_code == 302
    for person in (writer, reader, member_of(OrganisationFactory())):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, {"report": report.pk}).status_code == 403
    report.refresh_from_db()
    assert report.status == PostReport.Status.OPEN


def test_the_regional_lead_and_coordinators_see_a_regional_groups_queue(client):
    from network.models import Group

    group = Group.objects.get(region=region("Y63"))
    for person in (lead_of("Y63"), coordinator()):
        client.force_login(person)
        assert client.get(queue_url(group)).status_code == 200
    client.force_login(lead_of("Y56"))
    assert client.get(queue_url(group)).status_code == 403


def test_a_tampered_report_id_answers_with_a_message(client, post, lead):
    client.force_login(lead)
    for value in ("abc", "", "99999", "1e3", "٣", "9" * 30):
        response = client.post(queue_url(post.thread.group), {"report": value}, follow=True)
        assert response.status_code == 200
        assert "That report could not be found" in response.content.decode()


def test_the_queue_runs_the_same_queries_for_1_and_50_reports(client, group, lead, writer):
    def count() -> int:
        client.force_login(lead)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(queue_url(group)).status_code == 200
        return len(queries)

    post = thread_in(group, writer).posts.get()
    services.post_report(post=post, by=join(group, member_of(OrganisationFactory())).user, reason="1")
    # (the session is read from the cache, no query)
    # 1: the signed-in person
    # 2: the group (region and pillar joined in)
    # 3: their roles in one query: is the person a coordinator, which regions they lead
    # 4: are they an appointed lead of the group? (a thematic group has no regional leads)
    # 5: open reports with their post, thread, group, author and reporter joined in
    few = count()
    assert few == 5, few
    for n in range(49):
        other_post = thread_in(group, writer, title=f"Thread {n}").posts.get()
        reporter = join(group, member_of(OrganisationFactory())).user
        services.post_report(post=other_post, by=reporter, reason=f"Reason {n}")
    assert PostReport.objects.open().count() == 50
    assert count() == few


def test_the_thread_runs_the_same_queries_for_1_and_50_posts(client, group, writer, reader):
    thread = thread_in(group, writer)

    def count() -> int:
        client.force_login(reader)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(thread.get_absolute_url()).status_code == 200
        return len(queries)

    services.post_report(post=thread.posts.get(), by=reader, reason="Rude")
    few = count()
    for n in range(49):
        services.post_reply(thread=thread, by=writer, body=f"Reply **{n}**")
        if n % 2:
            services.post_report(post=thread.posts.last(), by=reader, reason="Rude")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert html.count("You reported this post") == 25 and html.count("Report this post") == 25
    assert count() == few
