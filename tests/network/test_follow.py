"""Following organisations, pillars, regions and tags, and saving case studies and resources."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from anchors.services import InvalidState, NotAllowed
from casestudies.models import Resource
from network import digests, services
from network.models import Delivery, Digest, Follow, SavedItem
from network.selectors import personal_items_for
from tests.anchors.factories import OrganisationFactory, member_of, pending, pillar, region
from tests.casestudies.factories import CaseStudyFactory, PublishedCaseStudyFactory

pytestmark = pytest.mark.django_db
_resources = iter(range(1, 10_000))


def published_resource(organisation, **kwargs) -> Resource:
    n = next(_resources)
    tags = kwargs.pop("tags", [])
    pillars = kwargs.pop("pillars", [pillar("purchasing")])
    resource = Resource.objects.create(
        organisation=organisation, kind=Resource.Kind.TOOLKIT, title=f"Local spend toolkit {n}",
        slug=f"local-spend-toolkit-{n}", summary="Spreadsheets for tracking local spend.",
        url="https://example.org/toolkit", status=Resource.Status.PUBLISHED, published_at=timezone.now(),
        **kwargs,
    )
    resource.pillars.set(pillars)
    if tags:
        resource.tags.set(tags)
    return resource


@pytest.fixture
def org():
    return OrganisationFactory(region=region("Y63"))


@pytest.fixture
def member(org):
    return member_of(org)


# --- Services -----------------------------------------------------------------------------------


def test_following_twice_is_one_follow_and_no_error(member):
    other = OrganisationFactory()
    assert services.follow_add(thing=other, by=member) is True
    assert services.follow_add(thing=other, by=member) is False
    assert Follow.objects.filter(user=member, organisation=other).count() == 1
    assert services.follow_remove(thing=other, by=member) is True
    assert services.follow_remove(thing=other, by=member) is False
    assert not Follow.objects.filter(user=member).exists()


def test_pillars_regions_and_tags_are_followed_once_each(member):
    tag = Tag.objects.create(name="local procurement", slug="local-procurement")
    for thing in (pillar("purchasing"), region("Y56"), tag):
        services.follow_add(thing=thing, by=member)
        services.follow_add(thing=thing, by=member)
    assert Follow.objects.filter(user=member).count() == 3


def test_saving_twice_is_one_save_and_no_error(member, org):
    case_study = PublishedCaseStudyFactory(organisation=org)
    resource = published_resource(org)
    for item in (case_study, resource):
        assert services.item_save(item=item, by=member) is True
        assert services.item_save(item=item, by=member) is False
    assert SavedItem.objects.filter(user=member).count() == 2
    assert services.item_unsave(item=case_study, by=member) is True
    assert services.item_unsave(item=case_study, by=member) is False


def test_it_refuses_visitors_and_unpublished_items(member, org):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAllowed):
        services.follow_add(thing=org, by=AnonymousUser())
    with pytest.raises(NotAllowed):
        services.item_save(item=PublishedCaseStudyFactory(), by=AnonymousUser())
    with pytest.raises(InvalidState):
        services.item_save(item=CaseStudyFactory(organisation=org), by=member)
    with pytest.raises(InvalidState):
        services.follow_add(thing=pending(), by=member)


def test_the_checkbox_choices_add_and_remove(member):
    services.follow_add(thing=pillar("purchasing"), by=member)
    added, removed = services.follow_choices_update(pillars=[pillar("workforce")], regions=[region("Y56")], by=member)
    assert (added, removed) == (2, 1)
    assert {f.kind for f in Follow.objects.filter(user=member)} == {"pillar", "region"}
    assert services.follow_choices_update(pillars=[pillar("workforce")], regions=[region("Y56")], by=member) == (0, 0)


# --- Buttons ------------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_sign_in(client, org):
    response = client.post(reverse("network:follow", args=["organisation", org.pk]), {"next": org.get_absolute_url()})
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    for name in ("network:following", "network:saved"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert not Follow.objects.exists()


def test_a_visitors_script_request_is_refused(client, org):
    response = client.post(
        reverse("network:save", args=["case-study", PublishedCaseStudyFactory(organisation=org).pk]),
        {"action": "save"}, headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 403
    assert not SavedItem.objects.exists()


def test_a_member_follows_an_organisation_and_goes_back(client, member):
    other = OrganisationFactory()
    client.force_login(member)
    response = client.post(
        reverse("network:follow", args=["organisation", other.pk]), {"action": "follow", "next": "/members/"}
    )
    assert response.status_code == 302 and response["Location"] == "/members/"
    assert Follow.objects.filter(user=member, organisation=other).exists()
    page = client.get(other.get_absolute_url())
    assert "You now follow" in page.content.decode()


def test_a_foreign_next_is_ignored(client, member):
    other = OrganisationFactory()
    client.force_login(member)
    for bad in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(
            reverse("network:follow", args=["organisation", other.pk]), {"action": "follow", "next": bad}
        )
        assert response["Location"] == other.get_absolute_url()


def test_the_button_answers_json_for_scripts(client, member, org):
    case_study = PublishedCaseStudyFactory(organisation=org)
    client.force_login(member)
    url = reverse("network:save", args=["case-study", case_study.pk])
    response = client.post(url, {"action": "save"}, headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 200
    assert response.json()["on"] is True and "is saved" in response.json()["message"]
    response = client.post(url, {"action": "unsave"}, headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.json()["on"] is False
    assert not SavedItem.objects.exists()


def test_an_unpublished_item_they_may_not_see_is_404(client, member):
    draft = CaseStudyFactory()  # another organisation's draft
    client.force_login(member)
    response = client.post(reverse("network:save", args=["case-study", draft.pk]), {"action": "save"})
    assert response.status_code == 404
    hidden = pending()
    response = client.post(reverse("network:follow", args=["organisation", hidden.pk]), {"action": "follow"})
    assert response.status_code == 404
    response = client.post(reverse("network:follow", args=["planet", 1]), {"action": "follow"})
    assert response.status_code == 404
    assert not SavedItem.objects.exists() and not Follow.objects.exists()


def test_their_own_draft_cannot_be_saved_but_says_why(client, member, org):
    draft = CaseStudyFactory(organisation=org)
    client.force_login(member)
    response = client.post(reverse("network:save", args=["case-study", draft.pk]), {"action": "save"}, follow=True)
    assert "Only published" in response.content.decode()
    assert not SavedItem.objects.exists()


def test_buttons_show_the_state_and_visitors_a_sign_in_link(client, member, org):
    case_study = PublishedCaseStudyFactory(organisation=org)
    page = client.get(org.get_absolute_url()).content.decode()
    assert "Sign in to follow" in page
    client.force_login(member)
    services.follow_add(thing=org, by=member)
    services.item_save(item=case_study, by=member)
    page = client.get(org.get_absolute_url()).content.decode()
    assert ">Following</span>" in page  # the label is the state (no aria-pressed as well)


# --- The Following and Saved pages -----------------------------------------------------------------


def test_following_shows_what_is_new_from_what_they_follow(client, member, org):
    followed = OrganisationFactory(region=region("Y56"))
    tag = Tag.objects.create(name="anchor charter", slug="anchor-charter")
    from_org = PublishedCaseStudyFactory(organisation=followed, title="From the followed trust", pillars=[])
    by_tag = published_resource(OrganisationFactory(region=region("Y59")), pillars=[], tags=[tag])
    by_pillar = PublishedCaseStudyFactory(organisation=OrganisationFactory(region=region("Y59")),
                                          pillars=[pillar("workforce")])
    unrelated = PublishedCaseStudyFactory(organisation=OrganisationFactory(region=region("Y59")), pillars=[])
    CaseStudyFactory(organisation=followed, title="A draft nobody follows")
    client.force_login(member)
    empty = client.get(reverse("network:following")).content.decode()
    assert "You do not follow anything yet" in empty
    for thing in (followed, tag, pillar("workforce")):
        services.follow_add(thing=thing, by=member)
    page = client.get(reverse("network:following")).content.decode()
    for item in (from_org, by_tag, by_pillar):
        assert item.title in page
    assert unrelated.title not in page and "A draft nobody follows" not in page
    assert "Unfollow" in page
    assert "Tags used most often" in page and ">Following</span>" in page  # the followed tag


def test_the_topics_form_follows_pillars_and_regions(client, member):
    client.force_login(member)
    response = client.post(
        reverse("network:following"),
        {"form": "topics", "pillars": [pillar("workforce").pk], "regions": [region("Y56").pk]},
    )
    assert response.status_code == 302
    assert Follow.objects.filter(user=member).count() == 2


def test_an_unknown_tag_is_answered_in_the_form(client, member):
    client.force_login(member)
    response = client.post(reverse("network:following"), {"form": "tag", "tag": "no such tag"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "nhsuk-error-summary" in page and "no such tag" in page
    Tag.objects.create(name="Local Procurement", slug="local-procurement")
    response = client.post(reverse("network:following"), {"form": "tag", "tag": "local  procurement"})
    assert response.status_code == 302
    assert Follow.objects.get(user=member).tag.name == "Local Procurement"


def test_saved_lists_their_items_with_remove_buttons(client, member, org):
    case_study = PublishedCaseStudyFactory(organisation=org, title="Kept for later")
    resource = published_resource(org)
    client.force_login(member)
    assert "You have not saved anything yet" in client.get(reverse("network:saved")).content.decode()
    services.item_save(item=case_study, by=member)
    services.item_save(item=resource, by=member)
    page = client.get(reverse("network:saved")).content.decode()
    assert "Kept for later" in page and resource.title in page and page.count(">Remove<") == 2
    client.post(reverse("network:save", args=["resource", resource.pk]), {"action": "unsave", "next": "/saved/"})
    page = client.get(reverse("network:saved")).content.decode()
    assert "is no longer in your saved items" in page and resource.get_absolute_url() not in page


# --- Query counts -------------------------------------------------------------------------------


def count(client, path: str, expected: list[str]) -> None:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    ran = [q["sql"] for q in ctx.captured_queries]
    assert len(ran) == len(expected), "\n".join(f"{i}. {sql[:200]}" for i, sql in enumerate(ran, 1))


SIGNED_IN = ["the session (cache cleared)", "the user"]


def test_following_runs_the_same_queries_for_1_and_50_items(client, member):
    followed = OrganisationFactory()
    services.follow_add(thing=followed, by=member)
    services.follow_add(thing=pillar("workforce"), by=member)
    client.force_login(member)
    expected = [
        *SIGNED_IN,
        "what they follow, with the things' names",
        "count the feed",
        "the feed's page: case studies and resources, newest first (one UNION)",
        "the page's case studies",
        "their pillars",
        "the page's resources",
        "their pillars",
        "what they saved, for the Save buttons",
        "count the pillars (the checkboxes field asks whether it has any)",
        "the pillars for the form",
        "count the regions",
        "the regions for the form",
        "the tags used most often, with their Follow buttons (no query: what they follow is known)",
    ]

    def add(n):
        for _ in range(n):
            PublishedCaseStudyFactory(organisation=followed)
            published_resource(followed)

    add(1)
    count(client, reverse("network:following"), expected)
    add(49)
    count(client, reverse("network:following"), expected)


def test_saved_runs_the_same_queries_for_1_and_50_items(client, member, org):
    client.force_login(member)
    expected = [*SIGNED_IN, "count their saved items", "the page of saved items, with each item"]

    def add(n):
        for _ in range(n):
            services.item_save(item=PublishedCaseStudyFactory(organisation=org), by=member)
            services.item_save(item=published_resource(org), by=member)

    add(1)
    count(client, reverse("network:saved"), expected)
    add(24)  # 50 saved items: two full pages' worth, the first page shown
    count(client, reverse("network:saved"), expected)


# --- Digests ------------------------------------------------------------------------------------


MONDAY_8AM = datetime.datetime(2027, 3, 29, 7, 0, tzinfo=datetime.UTC)  # 08:00 in London


def test_the_personal_digest_brings_what_they_follow():
    """A person with no groups or chosen pillars: only what they follow makes their digest."""
    home = OrganisationFactory(region=region("Y63"))
    person = member_of(home)
    followed = OrganisationFactory(region=region("Y56"))
    tag = Tag.objects.create(name="anchor charter", slug="anchor-charter")
    elsewhere = OrganisationFactory(region=region("Y59"))
    with time_machine.travel(MONDAY_8AM - datetime.timedelta(days=2), tick=False):
        from_followed = PublishedCaseStudyFactory(organisation=followed, pillars=[])
        partner_resource = published_resource(elsewhere, pillars=[], partner_organisation=followed)
        tagged_resource = published_resource(elsewhere, pillars=[], tags=[tag])
        not_followed = published_resource(elsewhere, pillars=[])
    assert personal_items_for([person.pk], now=MONDAY_8AM) == {}  # nothing new for them: no email
    services.follow_add(thing=followed, by=person)
    services.follow_add(thing=tag, by=person)
    chosen = personal_items_for([person.pk], now=MONDAY_8AM)[person.pk]
    assert chosen["case_studies"] == [from_followed.pk]
    assert set(chosen["resources"]) == {partner_resource.pk, tagged_resource.pk}
    assert not_followed.pk not in chosen["resources"]


def test_a_digest_shows_each_resource_with_its_kind_and_link(settings):
    settings.SITE_URL = "https://anchors.example"
    person = member_of(OrganisationFactory())
    resource = published_resource(OrganisationFactory())
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News", introduction="Hello.")
    digest.resources.add(resource)
    context = digests.digest_context(
        digest=digest, recipient=person, case_studies=[], resources=digests.coordinator_resources(digest)
    )
    _subject, text, html = digests.render_digest(context)
    link = f"https://anchors.example{resource.get_absolute_url()}"
    for part in (text, html):
        assert resource.title in part and "Toolkit" in part and link in part


def test_the_personal_email_renders_chosen_resources():
    person = member_of(OrganisationFactory())
    resource = published_resource(OrganisationFactory())
    run = Digest.objects.create(kind=Digest.Kind.PERSONAL, subject="Yours", send_at=MONDAY_8AM)
    row = Delivery.objects.create(
        digest=run, recipient=person, status=Delivery.Status.SENDING,
        items={"case_studies": [], "resources": [resource.pk], "threads": [], "events": []},
    )
    [(_pk, message)] = digests.build_messages([row.pk])
    assert resource.title in message.body and "Toolkit" in message.body


def test_coordinators_are_offered_new_resources(client):
    from tests.anchors.factories import coordinator

    boss = coordinator()
    resource = published_resource(OrganisationFactory())
    client.force_login(boss)
    page = client.get(reverse("network:digest_new")).content.decode()
    assert resource.title in page
    response = client.post(reverse("network:digest_new"), {
        "subject": "News", "introduction": "Hello.", "audience": "everyone", "resources": [resource.pk],
    })
    assert response.status_code == 302
    assert list(Digest.objects.get().resources.all()) == [resource]


# --- Personal data ------------------------------------------------------------------------------


def test_follows_and_saves_are_exported_and_erased(member, org):
    from network import personal_data

    case_study = PublishedCaseStudyFactory(organisation=org, title="Kept for later")
    services.follow_add(thing=pillar("workforce"), by=member)
    services.item_save(item=case_study, by=member)
    services.item_save(item=published_resource(org), by=member)
    exported = personal_data.export(member)
    assert [f["name"] for f in exported["things_you_follow"]] == [pillar("workforce").name]
    assert {s["kind"] for s in exported["items_you_saved"]} == {"case_study", "resource"}
    personal_data.erase(member)
    assert not Follow.objects.filter(user=member).exists()
    assert not SavedItem.objects.filter(user=member).exists()


# --- Demo ---------------------------------------------------------------------------------------


def test_the_demo_member_follows_and_has_saved_items(client):
    from accounts import demo as accounts_demo
    from anchors import demo as anchors_demo
    from casestudies import demo as casestudies_demo
    from network import demo

    accounts_demo.seed()
    anchors_demo.seed()
    casestudies_demo.seed()
    demo.seed()
    member = accounts_demo.demo_user("member")
    counts = Follow.objects.filter(user=member).count(), SavedItem.objects.filter(user=member).count()
    demo.seed()
    assert counts == (Follow.objects.filter(user=member).count(), SavedItem.objects.filter(user=member).count())
    assert counts[0] >= 3 and counts[1] >= 2
    client.force_login(member)
    assert "Unfollow" in client.get(reverse("network:following")).content.decode()
    assert ">Remove<" in client.get(reverse("network:saved")).content.decode()
