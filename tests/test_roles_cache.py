"""Role questions are answered from one query per person per request, and a change to someone's
roles shows on their very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anchors import services
from anchors.models import (
    Membership,
    active_organisation_ids,
    forget_roles,
    is_admin_of,
    is_coordinator,
    lead_region_ids,
)
from tests.anchors.factories import (
    MembershipFactory,
    OrganisationFactory,
    admin_of,
    coordinator,
    join_request,
    region,
)
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_question_costs_one_query_together():
    organisation, other = OrganisationFactory(), OrganisationFactory()
    person = admin_of(organisation)
    join_request(other, user=person)  # asked, not yet a member
    services.regional_lead_appoint(user=person, region=region("Y63"), by=coordinator())
    person = type(person).objects.get(pk=person.pk)  # as a fresh request loads them
    y63 = region("Y63").pk

    with CaptureQueriesContext(connection) as ctx:
        assert not is_coordinator(person)
        assert lead_region_ids(person) == {y63}
        assert active_organisation_ids(person) == {organisation.pk}
        assert is_admin_of(person, organisation.pk)
        assert not is_admin_of(person, other.pk)
    assert len(ctx.captured_queries) == 1


def test_a_plain_member_is_not_an_admin_and_a_coordinator_coordinates():
    organisation = OrganisationFactory()
    member = MembershipFactory(organisation=organisation).user
    assert not is_admin_of(member, organisation.pk)
    assert organisation.pk in active_organisation_ids(member)
    assert is_coordinator(coordinator())
    assert not is_coordinator(UserFactory())


def test_visitors_have_no_roles_and_cost_no_query():
    from django.contrib.auth.models import AnonymousUser

    visitor = AnonymousUser()
    with CaptureQueriesContext(connection) as ctx:
        assert not is_coordinator(visitor)
        assert lead_region_ids(visitor) == frozenset()
        assert active_organisation_ids(visitor) == frozenset()
        assert not is_admin_of(visitor, 1)
    assert ctx.captured_queries == []


def test_forget_roles_makes_the_next_question_ask_again():
    organisation = OrganisationFactory()
    person = UserFactory()
    assert active_organisation_ids(person) == frozenset()
    MembershipFactory(organisation=organisation, user=person)
    assert active_organisation_ids(person) == frozenset()  # remembered for this request
    forget_roles(person)
    assert active_organisation_ids(person) == {organisation.pk}


def test_an_appointed_lead_sees_the_verification_queue_on_the_next_request(client):
    person = UserFactory()
    client.force_login(person)
    page = reverse("anchors:verification")
    assert client.get(page).status_code == 403
    appointment = services.regional_lead_appoint(user=person, region=region("Y63"), by=coordinator())
    assert client.get(page).status_code == 200
    services.regional_lead_remove(appointment=appointment, by=coordinator())
    assert client.get(page).status_code == 403


def test_an_approved_member_then_a_removed_one_sees_it_on_the_next_request(client):
    organisation = OrganisationFactory()
    PublishedCaseStudyFactory(organisation=organisation, title="Local suppliers first")
    admin = admin_of(organisation)
    request = join_request(organisation)
    client.force_login(request.user)
    page = reverse("casestudies:mine")
    assert "Local suppliers first" not in client.get(page).content.decode()

    services.membership_approve(membership=request, by=admin)
    assert "Local suppliers first" in client.get(page).content.decode()

    services.membership_remove(membership=Membership.objects.get(pk=request.pk), by=admin, reason="Left the trust.")
    assert "Local suppliers first" not in client.get(page).content.decode()


def test_an_appointed_admin_then_a_removed_one_sees_it_on_the_next_request(client):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    membership = MembershipFactory(organisation=organisation)
    client.force_login(membership.user)
    page = reverse("anchors:requests", args=[organisation.slug])
    assert client.get(page).status_code == 403

    services.admin_appoint(membership=membership, by=admin)
    assert client.get(page).status_code == 200

    services.admin_remove(membership=membership, by=admin)
    assert client.get(page).status_code == 403


def test_an_admin_who_steps_down_is_no_longer_an_admin_in_the_same_request():
    organisation = OrganisationFactory()
    first = admin_of(organisation)
    admin_of(organisation)  # someone must stay
    assert is_admin_of(first, organisation.pk)
    mine = Membership.objects.get(user=first, organisation=organisation)
    services.admin_remove(membership=mine, by=first)
    assert not is_admin_of(first, organisation.pk)


# --- The cache's Redis client ------------------------------------------------------------------
# Every signed-in page makes several cache calls; building a redis-py client for each cost about
# half of a GET, so the forgiving cache keeps one client per connection pool.


def test_the_cache_reuses_one_redis_client():
    from resilience.cache import ForgivingRedisCache

    shared = ForgivingRedisCache("redis://127.0.0.1:1/0", {})  # building a client connects to nothing
    assert shared._cache.get_client() is shared._cache.get_client(write=True)
    assert shared._cache.get_client().connection_pool is shared._cache._get_connection_pool(False)


# --- Sessions ----------------------------------------------------------------------------------
# Sessions are cached_db: read from the cache, written through to the database.


def _signed_in_page(client) -> int:
    return client.get(reverse("casestudies:mine")).status_code  # sign-in required: 302 if not


def test_a_signed_in_request_reads_the_session_from_the_cache_not_the_database(client):
    client.force_login(UserFactory())
    assert _signed_in_page(client) == 200
    with CaptureQueriesContext(connection) as ctx:
        assert _signed_in_page(client) == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]


def test_signed_in_people_stay_signed_in_while_redis_is_down(client, settings):
    client.force_login(UserFactory())
    assert _signed_in_page(client) == 200
    settings.CACHES = {"default": {"BACKEND": "resilience.cache.ForgivingRedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens
    with CaptureQueriesContext(connection) as ctx:
        assert _signed_in_page(client) == 200
    assert [q for q in ctx.captured_queries if "django_session" in q["sql"]]  # read from the database


def test_signing_out_ends_the_cached_session_too(client):
    client.force_login(UserFactory())
    session_cookie = client.cookies["sessionid"].value
    assert _signed_in_page(client) == 200
    client.post(reverse("account_logout"))
    client.cookies["sessionid"] = session_cookie  # as if someone had kept the old cookie
    assert _signed_in_page(client) == 302


def test_deleting_an_account_removes_its_cached_sessions_too():
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX
    from django.core.cache import cache
    from django.test import Client

    from accounts import services as account_services

    person, bystander = UserFactory(), UserFactory()
    theirs, others = Client(), Client()
    theirs.force_login(person)
    others.force_login(bystander)
    their_key = KEY_PREFIX + theirs.session.session_key
    other_key = KEY_PREFIX + others.session.session_key
    assert cache.get(their_key) is not None and cache.get(other_key) is not None

    account_services.account_delete(user=person, by=person)
    assert cache.get(their_key) is None
    assert cache.get(other_key) is not None
