"""Whatever members type or a form is sent, group pages answer with a page, never a 500."""

import importlib

import pytest
from django.apps import apps

from network.models import Group, GroupMembership, Post
from tests.anchors.factories import OrganisationFactory, coordinator, member_of
from tests.factories import UserFactory

from .factories import GroupFactory, join, thread_in

pytestmark = pytest.mark.django_db

NESTED_LIST = "- " * 500 + "deep"  # a list 500 levels deep: Python-Markdown recursed until it failed
BRACKETS = "[" * 4000 + "](" * 4000  # quadratic in Python-Markdown: seconds per render
FEWER_BRACKETS = "[" * 2000 + "](" * 2000  # within the length limit, refused for its brackets


@pytest.fixture
def group():
    return GroupFactory()


@pytest.fixture
def member(group):
    person = member_of(OrganisationFactory())
    join(group, person)
    return person


@pytest.fixture
def lead(group):
    person = UserFactory()
    join(group, person, GroupMembership.Role.LEAD)
    return person


def hide_url(post) -> str:
    return f"/groups/{post.thread.group.slug}/posts/{post.pk}/hide/"


# --- Markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (NESTED_LIST, "this text goes 500 levels deep"),
        (BRACKETS, "Shorten this to 10,000 characters or fewer"),
        (FEWER_BRACKETS, "too many brackets"),
    ],
)
def test_the_post_forms_refuse_markdown_that_would_break_a_page(client, group, member, body, message):
    thread = thread_in(group, member)
    client.force_login(member)
    reply = client.post(thread.get_absolute_url(), {"body": body})
    assert reply.status_code == 200
    assert "nhsuk-error-summary" in reply.content.decode() and message in reply.content.decode()
    new = client.post(f"/groups/{group.slug}/discussions/new/", {"title": "Deep", "body": body})
    assert new.status_code == 200 and message in new.content.decode()
    assert Post.objects.count() == 1  # only the thread's first post


def test_the_services_refuse_it_too(group, member):
    from network import services

    thread = thread_in(group, member)
    with pytest.raises(services.InvalidState):
        services.post_reply(thread=thread, by=member, body=NESTED_LIST)
    with pytest.raises(services.InvalidState):
        services.thread_start(group=group, by=member, title="Deep", body=BRACKETS)


@pytest.mark.parametrize("body", [NESTED_LIST, BRACKETS])
def test_a_stored_hostile_post_still_shows_on_the_thread_and_hide_pages(client, group, member, lead, body):
    thread = thread_in(group, member)
    # Written straight to the table, as rows from before the form checked it were.
    post = Post.objects.create(thread=thread, author=member, body=body)
    client.force_login(member)
    page = client.get(thread.get_absolute_url())
    assert page.status_code == 200 and body[:50] in page.content.decode()
    client.force_login(lead)
    assert client.get(hide_url(post)).status_code == 200


@pytest.mark.parametrize("body", [NESTED_LIST, BRACKETS])
def test_the_data_migration_stores_html_for_existing_posts_whatever_they_hold(
    client, group, member, lead, body
):
    thread = thread_in(group, member)
    hostile = Post.objects.create(thread=thread, author=member, body=body)
    ordinary = Post.objects.create(thread=thread, author=member, body="We chose **15%**.")
    migration = importlib.import_module("network.migrations.0005_render_existing_posts")
    migration.render_posts(apps, None)
    ordinary.refresh_from_db()
    hostile.refresh_from_db()
    assert ordinary.body_html == "<p>We chose <strong>15%</strong>.</p>"
    assert hostile.body_html.startswith("<p>") and "<li>" not in hostile.body_html
    client.force_login(lead)
    assert client.get(thread.get_absolute_url()).status_code == 200
    assert client.get(hide_url(hostile)).status_code == 200


def test_posts_are_rendered_once_when_written_and_pages_show_what_was_stored(client, group, member):
    from network import services

    thread = thread_in(group, member)

    post = services.post_reply(thread=thread, by=member, body="We moved to **15%**.")
    assert post.body_html == "<p>We moved to <strong>15%</strong>.</p>"
    # A page shows the stored HTML: it does not render the Markdown again.
    Post.objects.filter(pk=post.pk).update(body="*changed behind the page's back*")
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "<strong>15%</strong>" in html and "changed behind" not in html


# --- Tampered forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "", "12abc", "99999", "٣", "9" * 30, "-1"])
def test_a_tampered_membership_id_answers_with_a_message(client, value):
    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST)
    client.force_login(coordinator())
    response = client.post(
        f"/groups/{group.slug}/requests/", {"membership": value, "decision": "approve"}, follow=True
    )
    assert response.status_code == 200
    assert "That request could not be found" in response.content.decode()


def test_a_tampered_decision_decides_nothing(client):
    from network import services

    group = GroupFactory(join_policy=Group.JoinPolicy.REQUEST)
    membership = services.group_join(group=group, user=member_of(OrganisationFactory()), reason="Please")
    client.force_login(coordinator())
    for decision in ("", "maybe", "approve\x00"):
        response = client.post(
            f"/groups/{group.slug}/requests/", {"membership": membership.pk, "decision": decision}, follow=True
        )
        assert "Choose Approve or Decline" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == GroupMembership.Status.REQUESTED


def test_a_request_from_another_group_is_not_found_here(client):
    group, other = GroupFactory(join_policy="request"), GroupFactory(join_policy="request")
    asker = member_of(OrganisationFactory())
    from network import services

    membership = services.group_join(group=other, user=asker, reason="Please")
    lead = UserFactory()
    join(group, lead, GroupMembership.Role.LEAD)
    client.force_login(lead)
    response = client.post(
        f"/groups/{group.slug}/requests/", {"membership": membership.pk, "decision": "approve"}, follow=True
    )
    assert "That request could not be found" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == GroupMembership.Status.REQUESTED


# --- Clock changes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "29/03/2026 01:30",
            "1:30am on 29 March 2026 does not exist in UK time because the clocks go forward",
        ),
        (
            "25/10/2026 01:30",
            "1:30am on 25 October 2026 happens twice in UK time because the clocks go back",
        ),
    ],
)
def test_an_event_time_in_a_clock_change_is_explained_in_plain_words(client, group, lead, typed, message):
    client.force_login(lead)
    response = client.post(
        f"/groups/{group.slug}/events/new/",
        {"title": "Night shift meet-up", "starts_at": typed, "ends_at": "30/10/2026 10:00", "location": "York"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "nhsuk-error-summary" in html
    assert message in html
    assert "interpreted" not in html and "Europe/London" not in html
    assert not group.events.exists()


def test_a_digest_scheduled_in_a_clock_change_is_explained_too(client):
    from network.models import Digest

    digest = Digest.objects.create(subject="Spring news")
    client.force_login(coordinator())
    response = client.post(f"/digests/{digest.pk}/schedule/", {"send_at": "28/03/2027 01:15"})
    assert "1:15am on 28 March 2027 does not exist in UK time" in response.content.decode()


# --- People who have left ------------------------------------------------------------------------


def test_a_deleted_persons_posts_stay_and_read_former_member(client, group, member, lead):
    thread = thread_in(group, member, title="Local jobs")
    post = thread.posts.get()
    member.delete()
    post.refresh_from_db()
    assert post.author is None and post.body == "What do you think?"
    client.force_login(lead)
    thread_page = client.get(thread.get_absolute_url()).content.decode()
    assert "Former member" in thread_page and "What do you think?" in thread_page
    assert "Started by a former member" in client.get(group.get_absolute_url()).content.decode()
    assert "Former member" in client.get(hide_url(post)).content.decode()
