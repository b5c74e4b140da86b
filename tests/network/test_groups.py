import datetime
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from anchors.models import Organisation
from network import services
from network.models import Group, GroupMembership, Post
from tests.anchors.factories import OrganisationFactory, coordinator, lead_of, member_of, region
from tests.factories import UserFactory

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return member_of(OrganisationFactory())


@pytest.fixture
def outsider():
    """Signed up, but not a member of any verified organisation."""
    return UserFactory()


def test_every_region_has_its_regional_group():
    regional = Group.objects.filter(kind=Group.Kind.REGIONAL)
    assert regional.count() == 10
    assert regional.get(region=region("Y63")).name == "North East and Yorkshire anchor network"


def test_it_lets_a_member_join_an_open_group_at_once(member):
    group = GroupFactory()
    membership = services.group_join(group=group, user=member)
    assert membership.status == GroupMembership.Status.ACTIVE
    assert services.is_group_member(member, group)


def test_it_refuses_people_without_a_verified_organisation(outsider):
    pending = OrganisationFactory(status=Organisation.Status.PENDING)
    pending_member = member_of(pending)
    for person in (outsider, pending_member):
        with pytest.raises(services.NotAllowed):
            services.group_join(group=GroupFactory(), user=person)


def test_it_refuses_joining_twice(member):
    group = GroupFactory()
    services.group_join(group=group, user=member)
    with pytest.raises(services.InvalidState):
        services.group_join(group=group, user=member)


def test_a_request_needs_a_reason_and_emails_the_leads(member, django_capture_on_commit_callbacks):
    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST)
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    with pytest.raises(services.InvalidState):
        services.group_join(group=group, user=member, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.group_join(group=group, user=member, reason="We run a jobs programme")
    assert membership.status == GroupMembership.Status.REQUESTED
    assert not services.is_group_member(member, group)
    (message,) = mail.outbox
    assert message.to == [lead.email]
    assert "We run a jobs programme" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_only_leads_decide_requests_and_only_once(member, django_capture_on_commit_callbacks):
    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST)
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    other_member = member_of(OrganisationFactory())
    join(group, other_member)
    membership = services.group_join(group=group, user=member, reason="Please")
    with pytest.raises(services.NotAllowed):
        services.group_request_decide(membership=membership, by=other_member, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.group_request_decide(membership=membership, by=lead, approve=True)
    assert services.is_group_member(member, group)
    assert mail.outbox[-1].to == [member.email]
    assert "approved" in mail.outbox[-1].body
    with pytest.raises(services.InvalidState):
        services.group_request_decide(membership=membership, by=lead, approve=False)


def test_the_regional_lead_leads_their_regional_group_but_not_others():
    lead = lead_of("Y63")
    assert services.is_group_lead(lead, Group.objects.get(region=region("Y63")))
    assert not services.is_group_lead(lead, Group.objects.get(region=region("Y56")))


def test_members_leave_at_will(member):
    group = GroupFactory()
    services.group_join(group=group, user=member)
    services.group_leave(group=group, user=member)
    assert not services.is_group_member(member, group)
    with pytest.raises(services.InvalidState):
        services.group_leave(group=group, user=member)


def test_only_coordinators_create_groups(member):
    with pytest.raises(services.NotAllowed):
        services.group_create(by=member, name="Estates", description="x", join_policy="open")
    boss = coordinator()
    group = services.group_create(by=boss, name="Estates", description="x", join_policy="open")
    assert services.is_group_lead(boss, group) and group.kind == Group.Kind.THEMATIC


def test_members_discuss_and_the_thread_author_hears_of_replies(
    member, django_capture_on_commit_callbacks
):
    group = GroupFactory()
    join(group, member)
    replier = member_of(OrganisationFactory())
    join(group, replier)
    thread = thread_in(group, member)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_reply(thread=thread, by=replier, body="We use **15%**.")
    (message,) = mail.outbox
    assert message.to == [member.email] and "We use" in message.body
    # Replying to your own thread sends nothing; opting out sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.post_reply(thread=thread, by=member, body="Thanks")
    thread.email_author_on_reply = False
    thread.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_reply(thread=thread, by=replier, body="Another")
    assert len(mail.outbox) == 1


def test_non_members_cannot_post(member, outsider):
    group = GroupFactory()
    join(group, member)
    thread = thread_in(group, member)
    with pytest.raises(services.NotAllowed):
        services.thread_start(group=group, by=outsider, title="Hi", body="Hello")
    with pytest.raises(services.NotAllowed):
        services.post_reply(thread=thread, by=outsider, body="Hello")


def test_only_leads_hide_posts_and_a_reason_is_needed(member):
    group = GroupFactory()
    join(group, member)
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    thread = thread_in(group, member)
    post = Post.objects.get(thread=thread)
    with pytest.raises(services.NotAllowed):
        services.post_hide(post=post, by=member, reason="spam")
    with pytest.raises(services.InvalidState):
        services.post_hide(post=post, by=lead, reason="")
    services.post_hide(post=post, by=lead, reason="Personal details")
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_reason == "Personal details"


def test_only_leads_add_events(member):
    group = GroupFactory()
    join(group, member)
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    start = timezone.now() + timedelta(days=3)
    details = {"title": "Meet-up", "starts_at": start, "ends_at": start + timedelta(hours=1), "location": "Leeds"}
    with pytest.raises(services.NotAllowed):
        services.event_add(group=group, by=member, **details)
    event = services.event_add(group=group, by=lead, **details)
    assert event.pk


# --- Pages ----------------------------------------------------------------------------------------


def test_the_group_list_shows_member_counts_in_fixed_queries(client, django_assert_num_queries):
    group = GroupFactory(name="Estates and land")
    for _ in range(3):
        join(group, UserFactory())
    # 1: groups with member counts (regions and pillars joined in)
    with django_assert_num_queries(1):
        response = client.get("/groups/")
    html = response.content.decode()
    assert "Estates and land" in html and "North East and Yorkshire anchor network" in html
    for n in range(20):
        GroupFactory(name=f"More {n}")
    with django_assert_num_queries(1):
        client.get("/groups/")


def test_visitors_see_the_description_but_not_the_discussion(client, member):
    group = GroupFactory(description="Buying locally together")
    join(group, member)
    thread_in(group, member, title="Secret plans")
    html = client.get(group.get_absolute_url()).content.decode()
    assert "Buying locally together" in html and "Secret plans" not in html
    assert client.get(f"/groups/{group.slug}/discussions/new/").status_code == 302


def test_members_see_the_discussion_and_others_are_refused(client, member, outsider):
    group = GroupFactory()
    join(group, member)
    thread = thread_in(group, member, title="Tender scoring")
    client.force_login(member)
    assert "Tender scoring" in client.get(group.get_absolute_url()).content.decode()
    assert client.get(thread.get_absolute_url()).status_code == 200
    client.force_login(outsider)
    assert client.get(thread.get_absolute_url()).status_code == 403
    assert "Tender scoring" not in client.get(group.get_absolute_url()).content.decode()


def test_an_empty_reply_is_refused_in_the_error_summary(client, member):
    group = GroupFactory()
    join(group, member)
    thread = thread_in(group, member)
    client.force_login(member)
    response = client.post(thread.get_absolute_url(), {"body": ""})
    assert response.status_code == 200
    assert "nhsuk-error-summary" in response.content.decode()


def test_replies_are_sanitised(client, member):
    group = GroupFactory()
    join(group, member)
    thread = thread_in(group, member)
    client.force_login(member)
    client.post(thread.get_absolute_url(), {"body": "<script>alert(1)</script>[x](javascript:alert(1))"})
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html and "javascript:alert" not in html


def test_the_event_form_keeps_input_and_reads_uk_time(client):
    group = GroupFactory()
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    client.force_login(lead)
    url = f"/groups/{group.slug}/events/new/"
    bad = client.post(url, {"title": "Summer meet-up", "starts_at": "not a date", "ends_at": ""})
    assert "nhsuk-error-summary" in bad.content.decode() and 'value="Summer meet-up"' in bad.content.decode()
    client.post(
        url,
        {"title": "Summer meet-up", "starts_at": "01/07/2027 10:00", "ends_at": "01/07/2027 11:00", "location": "York"},
    )
    event = group.events.get()
    # 10:00 in British Summer Time is 09:00 UTC.
    assert event.starts_at.astimezone(datetime.UTC).hour == 9
    ics = client.get(f"/groups/{group.slug}/events/{event.pk}.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:Summer meet-up" in ics.content and b"DTSTART" in ics.content


def test_members_cannot_add_events_or_see_requests(client, member):
    group = GroupFactory()
    join(group, member)
    client.force_login(member)
    assert client.get(f"/groups/{group.slug}/events/new/").status_code == 403
    assert client.get(f"/groups/{group.slug}/requests/").status_code == 403


def test_a_lead_approves_a_request_from_the_requests_page(client, member):
    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST)
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    membership = services.group_join(group=group, user=member, reason="Please")
    client.force_login(lead)
    assert member.full_name in client.get(f"/groups/{group.slug}/requests/").content.decode()
    client.post(f"/groups/{group.slug}/requests/", {"membership": membership.pk, "decision": "approve"})
    assert services.is_group_member(member, group)


def test_the_account_page_lists_the_persons_groups(client, member):
    group = GroupFactory(name="Green estates")
    join(group, member)
    client.force_login(member)
    assert "Green estates" in client.get("/account/").content.decode()


def test_the_group_page_runs_the_same_queries_for_1_and_50_members_and_threads(client, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group = GroupFactory()
    join(group, member)
    thread_in(group, member)
    client.force_login(member)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(group.get_absolute_url()).status_code == 200
        return len(queries)

    few = count()
    for n in range(49):
        other = member_of(OrganisationFactory())
        join(group, other)
        thread_in(group, other, title=f"Question {n}")
    assert count() == few
