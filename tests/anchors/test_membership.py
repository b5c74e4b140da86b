"""Removing and leaving, the membership history, and the emails that tell people what waits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anchors import services
from anchors.models import Membership, MembershipEvent, is_member_of
from tests.anchors.factories import (
    OrganisationFactory,
    admin_of,
    coordinator,
    join_request,
    lead_of,
    listed,
    member_of,
    pending,
    region,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Action = MembershipEvent.Action


def signed_in(client, user):
    client.force_login(user)
    return client


def recipients(mailbox) -> list[str]:
    return sorted(address for message in mailbox for address in message.to)


def membership_of(person) -> Membership:
    return Membership.objects.get(user=person)


def actions(membership) -> list[tuple[str, object]]:
    return [(event.action, event.by) for event in membership.events.all()]


# --- Removing ----------------------------------------------------------------------------------


def test_an_admin_removes_a_member_who_is_told_by_whom_and_why(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory(name="Tyne Trust")
    admin = admin_of(organisation, user=UserFactory(full_name="Priya Shah"))
    person = member_of(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_remove(membership=membership_of(person), by=admin, reason="You moved to another trust.")
    membership = membership_of(person)
    assert membership.status == Membership.Status.REMOVED
    assert membership.ended_by == admin
    assert membership.ended_at is not None
    assert membership.end_reason == "You moved to another trust."
    assert not is_member_of(person, organisation.pk)
    assert actions(membership)[-1] == (Action.REMOVED, admin)
    (message,) = mailbox
    assert message.to == [person.email]
    assert "Tyne Trust" in message.subject
    for part in (message.body, message.alternatives[0][0]):
        assert "Priya Shah" in part
        assert "You moved to another trust." in part
    assert organisation.get_absolute_url() in message.body


@pytest.mark.parametrize("who", ["member", "outsider", "admin_elsewhere", "lead", "coordinator"])
def test_only_the_organisations_admins_remove_members(who):
    organisation = OrganisationFactory()
    admin_of(organisation)
    membership = membership_of(member_of(organisation))
    by = {
        "member": lambda: member_of(organisation),
        "outsider": UserFactory,
        "admin_elsewhere": lambda: admin_of(OrganisationFactory()),
        "lead": lambda: lead_of(organisation.region.code),
        "coordinator": coordinator,
    }[who]()
    with pytest.raises(services.NotAllowed):
        services.membership_remove(membership=membership, by=by)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


def test_an_admin_removes_another_admin():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    other = membership_of(admin_of(organisation))
    services.membership_remove(membership=other, by=admin)
    other.refresh_from_db()
    assert other.status == Membership.Status.REMOVED
    assert list(Membership.objects.admins().filter(organisation=organisation).values_list("user", flat=True)) == [admin.pk]


def test_the_last_admin_cannot_remove_themselves():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    with pytest.raises(services.InvalidState, match="only admin"):
        services.membership_remove(membership=membership_of(admin), by=admin)
    assert Membership.objects.admins().filter(user=admin).exists()


def test_an_admin_leaves_rather_than_removing_themselves():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    admin_of(organisation)
    with pytest.raises(services.InvalidState, match="leave page"):
        services.membership_remove(membership=membership_of(admin), by=admin)


def test_only_an_active_membership_can_be_removed():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    with pytest.raises(services.InvalidState, match="not a member"):
        services.membership_remove(membership=join_request(organisation), by=admin)


# --- Leaving -----------------------------------------------------------------------------------


def test_leaving_is_recorded_and_confirmed_by_email(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory(name="Tees Trust")
    person = member_of(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_leave(membership=membership_of(person), by=person)
    membership = membership_of(person)
    assert membership.status == Membership.Status.LEFT
    assert (membership.ended_by, membership.ended_at is not None) == (person, True)
    assert actions(membership)[-1] == (Action.LEFT, person)
    (message,) = mailbox
    assert message.to == [person.email]
    assert "You left Tees Trust" in message.subject
    assert reverse("anchors:organisation", args=[organisation.slug]) in message.body


# --- History -----------------------------------------------------------------------------------


def test_every_membership_service_writes_the_history():
    organisation = OrganisationFactory(email_domains=["tyne.nhs.uk"])
    admin = admin_of(organisation)

    asked = services.membership_request(organisation=organisation, by=UserFactory(), reason="Please")
    services.membership_approve(membership=asked, by=admin)
    services.admin_appoint(membership=asked, by=admin)
    services.admin_remove(membership=asked, by=admin)
    assert actions(asked) == [
        (Action.REQUESTED, asked.user), (Action.APPROVED, admin),
        (Action.ADMIN_APPOINTED, admin), (Action.ADMIN_ROLE_REMOVED, admin),
    ]

    declined = services.membership_request(organisation=organisation, by=UserFactory(), reason="Please")
    services.membership_decline(membership=declined, by=admin, reason="Not our staff")
    assert actions(declined) == [(Action.REQUESTED, declined.user), (Action.DECLINED, admin)]
    assert declined.events.last().note == "Not our staff"

    automatic = services.membership_request(organisation=organisation, by=UserFactory(email="jo@tyne.nhs.uk"), reason="Hi")
    assert actions(automatic) == [(Action.REQUESTED, automatic.user), (Action.APPROVED_AUTOMATICALLY, None)]


def test_the_registrant_becoming_first_admin_is_in_the_history():
    organisation = pending()
    lead = lead_of(organisation.region.code)
    services.organisation_verify(organisation=organisation, by=lead)
    assert actions(Membership.objects.get(organisation=organisation)) == [(Action.FIRST_ADMIN, lead)]


# --- Leads hear about registrations ------------------------------------------------------------


def test_registering_a_listed_organisation_emails_the_regions_leads(django_capture_on_commit_callbacks, mailbox):
    organisation = listed(region=region("Y62"))
    leads = sorted([lead_of("Y62").email, lead_of("Y62").email])
    lead_of("Y63")
    coordinator()
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_register_listed(organisation=organisation, by=UserFactory())
    assert recipients(mailbox) == leads
    link = reverse("anchors:verification_decide", args=[organisation.slug])
    for message in mailbox:
        assert link in message.body
        assert link in message.alternatives[0][0]
        assert organisation.name in message.subject


def test_a_partner_registering_in_a_region_without_leads_emails_the_coordinators(
    django_capture_on_commit_callbacks, mailbox
):
    boss = coordinator()
    lead_of("Y63")
    with django_capture_on_commit_callbacks(execute=True):
        organisation = services.organisation_register_partner(
            by=UserFactory(), name="Kent Housing Group", type="housing_association", region=region("Y59")
        )
    assert recipients(mailbox) == [boss.email]
    assert reverse("anchors:verification_decide", args=[organisation.slug]) in mailbox[0].body


# --- People appointed are told -----------------------------------------------------------------


def test_a_new_regional_lead_is_told_what_they_can_do(django_capture_on_commit_callbacks, mailbox):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.regional_lead_appoint(user=person, region=region("Y61"), by=coordinator())
    (message,) = mailbox
    assert message.to == [person.email]
    assert "East of England" in message.subject
    assert reverse("anchors:verification") in message.body
    assert reverse("anchors:verification") in message.alternatives[0][0]


def test_a_new_coordinator_is_told_what_they_can_do(django_capture_on_commit_callbacks, mailbox):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.coordinator_appoint(user=person, by=coordinator())
    (message,) = mailbox
    assert message.to == [person.email]
    assert "coordinator" in message.subject
    for link in (reverse("anchors:roles"), reverse("anchors:verification"), reverse("admin:index")):
        assert link in message.body


def test_a_new_admin_is_told_what_they_can_do(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory(name="Wear Trust")
    admin = admin_of(organisation)
    person = member_of(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.admin_appoint(membership=membership_of(person), by=admin)
    (message,) = mailbox
    assert message.to == [person.email]
    assert "admin of Wear Trust" in message.subject
    assert reverse("anchors:requests", args=[organisation.slug]) in message.body
    assert reverse("anchors:admins", args=[organisation.slug]) in message.alternatives[0][0]


# --- Pages -------------------------------------------------------------------------------------


def test_the_people_page_offers_remove_and_shows_the_history(client):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    person = member_of(organisation, user=UserFactory(full_name="Dev Patel"))
    services.admin_appoint(membership=membership_of(person), by=admin)
    page = signed_in(client, admin).get(reverse("anchors:admins", args=[organisation.slug])).text
    assert reverse("anchors:member_remove", args=[organisation.slug, membership_of(person).pk]) in page
    assert reverse("anchors:member_remove", args=[organisation.slug, membership_of(admin).pk]) not in page
    assert "Appointed as an admin" in page


def test_an_admin_removes_someone_through_the_confirmation_page(client, django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    membership = membership_of(member_of(organisation, user=UserFactory(full_name="Dev Patel")))
    url = reverse("anchors:member_remove", args=[organisation.slug, membership.pk])
    signed_in(client, admin)
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Remove Dev Patel" in confirm.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Left the trust in May."}, follow=True)
    assert "Dev Patel is no longer a member" in response.text
    membership.refresh_from_db()
    assert (membership.status, membership.end_reason) == (Membership.Status.REMOVED, "Left the trust in May.")
    assert recipients(mailbox) == [membership.user.email]


def test_the_reason_is_optional_on_the_confirmation_page(client):
    organisation = OrganisationFactory()
    membership = membership_of(member_of(organisation))
    signed_in(client, admin_of(organisation)).post(
        reverse("anchors:member_remove", args=[organisation.slug, membership.pk]), {"reason": ""}
    )
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REMOVED


def test_the_last_admin_removing_themselves_reads_why_on_the_page(client):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    response = signed_in(client, admin).post(
        reverse("anchors:member_remove", args=[organisation.slug, membership_of(admin).pk]), {"reason": ""}
    )
    assert response.status_code == 200
    assert "only admin" in response.text.split("nhsuk-error-summary", 1)[1]
    assert Membership.objects.admins().filter(user=admin).exists()


@pytest.mark.parametrize("who", ["member", "outsider", "admin_elsewhere"])
def test_others_cannot_open_or_post_the_remove_page(client, who):
    organisation = OrganisationFactory()
    membership = membership_of(member_of(organisation))
    person = {
        "member": lambda: member_of(organisation),
        "outsider": UserFactory,
        "admin_elsewhere": lambda: admin_of(OrganisationFactory()),
    }[who]()
    url = reverse("anchors:member_remove", args=[organisation.slug, membership.pk])
    signed_in(client, person)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Go"}).status_code == 403
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


def test_a_visitor_is_sent_to_sign_in_from_the_remove_page(client):
    organisation = OrganisationFactory()
    membership = membership_of(member_of(organisation))
    response = client.post(reverse("anchors:member_remove", args=[organisation.slug, membership.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE


def test_a_membership_of_another_organisation_is_not_found_from_this_one(client):
    organisation, other = OrganisationFactory(), OrganisationFactory()
    elsewhere = membership_of(member_of(other))
    response = signed_in(client, admin_of(organisation)).post(
        reverse("anchors:member_remove", args=[organisation.slug, elsewhere.pk])
    )
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == Membership.Status.ACTIVE


def test_a_member_leaves_from_the_leave_page_and_is_emailed(client, django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory()
    person = member_of(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, person).post(reverse("anchors:leave", args=[organisation.slug]), follow=True)
    assert "You left" in response.text
    assert membership_of(person).status == Membership.Status.LEFT
    assert recipients(mailbox) == [person.email]


# --- Defect 8: the register link followed with GET ---------------------------------------------


def test_following_a_register_link_shows_the_search_with_its_button(client):
    organisation = listed(name="Gateshead Health NHS Foundation Trust", ods_code="RR7")
    signed_in(client, UserFactory())
    url = reverse("anchors:register_listed", args=[organisation.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("anchors:register") + "?q=RR7"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f'action="{url}"' in page.text
    organisation.refresh_from_db()
    assert organisation.status == "listed"


def test_a_register_link_for_nothing_listed_is_not_found(client):
    signed_in(client, UserFactory())
    assert client.get(reverse("anchors:register_listed", args=["no-such-trust"])).status_code == 404


def test_a_visitor_following_a_register_link_is_sent_to_sign_in(client):
    organisation = listed()
    response = client.get(reverse("anchors:register_listed", args=[organisation.slug]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def _people_page_queries(client, organisation) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("anchors:admins", args=[organisation.slug]))
    assert response.status_code == 200
    return [query["sql"] for query in queries]


def test_the_people_page_runs_the_same_queries_for_1_and_30_members(client):
    """Prevent an n+1: the members with their people joined, and the recent history with each
    event's person and actor joined, cost one query each however many rows they show."""
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    signed_in(client, admin)
    one = _people_page_queries(client, organisation)
    for _ in range(29):
        asked = services.membership_request(organisation=organisation, by=UserFactory(), reason="Please")
        services.membership_approve(membership=asked, by=admin)
    thirty = _people_page_queries(client, organisation)
    assert len(one) == len(thirty), "\n".join(thirty)
