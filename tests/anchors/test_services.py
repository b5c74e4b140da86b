import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from anchors import services
from anchors.models import Membership, Organisation, RegionalLead, is_coordinator, lead_region_ids
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


# --- Registering -------------------------------------------------------------------------------


def test_it_registers_a_listed_nhs_organisation_as_pending():
    person = UserFactory()
    organisation = services.organisation_register_listed(organisation=listed(), by=person)
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.registered_by == person
    assert organisation.registered_at is not None


def test_it_refuses_registering_an_organisation_that_is_already_a_member():
    organisation = OrganisationFactory()
    with pytest.raises(services.AlreadyRegistered) as error:
        services.organisation_register_listed(organisation=organisation, by=UserFactory())
    assert error.value.organisation == organisation


def test_it_refuses_registering_one_already_awaiting_verification():
    organisation = pending()
    with pytest.raises(services.AlreadyRegistered):
        services.organisation_register_listed(organisation=organisation, by=UserFactory())


def test_one_entry_point_registers_either_kind():
    nhs = services.organisation_register(organisation=listed(), by=UserFactory())
    partner = services.organisation_register(
        by=UserFactory(), name="Shelter North", type=Organisation.Type.HOUSING_ASSOCIATION, region=region("Y62")
    )
    assert nhs.status == partner.status == Organisation.Status.PENDING


def test_it_refuses_registration_without_a_verified_email():
    with pytest.raises(services.NotAllowed):
        services.organisation_register_listed(organisation=listed(), by=UserFactory(verified=False))


def test_it_registers_a_partner_organisation():
    person = UserFactory()
    organisation = services.organisation_register_partner(
        by=person, name="Leeds  City Council", type=Organisation.Type.LOCAL_AUTHORITY, region=region("Y63"),
        email_domains=["Leeds.gov.uk"], description="The council.",
    )
    assert organisation.name == "Leeds City Council"
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.email_domains == ["leeds.gov.uk"]
    assert organisation.slug == "leeds-city-council"


def test_it_refuses_a_partner_with_the_name_of_an_existing_member():
    existing = OrganisationFactory(name="Leeds City Council", type=Organisation.Type.LOCAL_AUTHORITY)
    with pytest.raises(services.AlreadyRegistered) as error:
        services.organisation_register_partner(
            by=UserFactory(), name="leeds city council", type=Organisation.Type.LOCAL_AUTHORITY, region=region("Y63")
        )
    assert error.value.organisation == existing


def test_it_refuses_an_nhs_type_typed_in_as_a_partner():
    with pytest.raises(services.InvalidState):
        services.organisation_register_partner(
            by=UserFactory(), name="Made-up Trust", type=Organisation.Type.ACUTE_TRUST, region=region("Y63")
        )


# --- Verifying ---------------------------------------------------------------------------------


def test_the_regional_lead_verifies_and_the_registrant_becomes_first_admin(django_capture_on_commit_callbacks, mailbox):
    organisation = pending(region=region("Y63"))
    lead = lead_of("Y63")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.organisation_verify(organisation=organisation, by=lead)
        assert mailbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.VERIFIED
    assert organisation.decided_by == lead
    membership = Membership.objects.get(organisation=organisation)
    assert (membership.user, membership.role, membership.status) == (
        organisation.registered_by, Membership.Role.ADMIN, Membership.Status.ACTIVE,
    )
    (message,) = mailbox
    assert message.to == [organisation.registered_by.email]
    assert "verified" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert organisation.name in message.alternatives[0][0]


def test_a_coordinator_verifies_in_any_region():
    organisation = pending(region=region("Y56"))
    services.organisation_verify(organisation=organisation, by=coordinator())
    organisation.refresh_from_db()
    assert organisation.is_verified


def test_a_lead_of_another_region_cannot_verify():
    organisation = pending(region=region("Y56"))
    with pytest.raises(services.NotAllowed):
        services.organisation_verify(organisation=organisation, by=lead_of("Y63"))
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING


def test_an_ordinary_person_cannot_verify_or_decline():
    organisation = pending()
    with pytest.raises(services.NotAllowed):
        services.organisation_verify(organisation=organisation, by=organisation.registered_by)
    with pytest.raises(services.NotAllowed):
        services.organisation_decline(organisation=organisation, by=UserFactory(), reason="No")


def test_a_verified_organisation_cannot_be_verified_or_declined_again():
    organisation = OrganisationFactory()
    with pytest.raises(services.InvalidState):
        services.organisation_verify(organisation=organisation, by=coordinator())
    with pytest.raises(services.InvalidState):
        services.organisation_decline(organisation=organisation, by=coordinator(), reason="Duplicate")


def test_declining_needs_a_reason_and_emails_the_registrant(django_capture_on_commit_callbacks, mailbox):
    organisation = pending(region=region("Y63"))
    lead = lead_of("Y63")
    with pytest.raises(services.InvalidState):
        services.organisation_decline(organisation=organisation, by=lead, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_decline(organisation=organisation, by=lead, reason="This is a private clinic.")
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.DECLINED
    assert not Membership.objects.filter(organisation=organisation).exists()
    (message,) = mailbox
    assert "This is a private clinic." in message.body
    assert "This is a private clinic." in message.alternatives[0][0]


def test_a_declined_listed_organisation_can_be_registered_again():
    organisation = listed()
    services.organisation_register_listed(organisation=organisation, by=UserFactory())
    services.organisation_decline(organisation=organisation, by=coordinator(), reason="Not you")
    services.organisation_register_listed(organisation=organisation, by=UserFactory())
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.decision_reason == ""


# --- Joining -----------------------------------------------------------------------------------


def test_asking_to_join_emails_the_admins(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_request(organisation=organisation, by=person, reason="I run procurement")
    assert membership.status == Membership.Status.REQUESTED
    (message,) = mailbox
    assert message.to == [admin.email]
    assert "I run procurement" in message.body
    assert "I run procurement" in message.alternatives[0][0]


def test_a_verified_email_at_one_of_its_domains_joins_at_once(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory(email_domains=["northumbria-healthcare.nhs.uk"])
    person = UserFactory(email="sam@northumbria-healthcare.nhs.uk")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_request(organisation=organisation, by=person, reason="I work there")
    assert membership.status == Membership.Status.ACTIVE
    assert [m.to for m in mailbox] == [[person.email]]


def test_an_unverified_address_at_the_domain_is_not_enough():
    organisation = OrganisationFactory(email_domains=["northumbria-healthcare.nhs.uk"])
    person = UserFactory()
    EmailAddress.objects.create(user=person, email="sam@northumbria-healthcare.nhs.uk", verified=False)
    membership = services.membership_request(organisation=organisation, by=person, reason="I work there")
    assert membership.status == Membership.Status.REQUESTED


def test_a_member_cannot_ask_to_join_again():
    organisation = OrganisationFactory()
    with pytest.raises(services.InvalidState, match="already belong"):
        services.membership_request(organisation=organisation, by=member_of(organisation), reason="Again")


def test_a_second_request_is_refused():
    organisation = OrganisationFactory()
    person = join_request(organisation).user
    with pytest.raises(services.InvalidState, match="already asked"):
        services.membership_request(organisation=organisation, by=person, reason="Again")


def test_nobody_can_join_a_pending_organisation():
    with pytest.raises(services.InvalidState):
        services.membership_request(organisation=pending(), by=UserFactory(), reason="Please")


def test_joining_needs_a_reason():
    with pytest.raises(services.InvalidState):
        services.membership_request(organisation=OrganisationFactory(), by=UserFactory(), reason=" ")


def test_an_admin_approves_and_the_person_is_emailed(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    membership = join_request(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_approve(membership=membership, by=admin)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.decided_by == admin
    (message,) = mailbox
    assert message.to == [membership.user.email]
    assert "You are now a member" in message.subject


def test_an_admin_of_another_organisation_cannot_approve():
    membership = join_request(OrganisationFactory())
    with pytest.raises(services.NotAllowed):
        services.membership_approve(membership=membership, by=admin_of(OrganisationFactory()))


def test_a_plain_member_cannot_approve():
    organisation = OrganisationFactory()
    membership = join_request(organisation)
    with pytest.raises(services.NotAllowed):
        services.membership_approve(membership=membership, by=member_of(organisation))


def test_a_declined_request_cannot_be_approved_or_declined_again(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    membership = join_request(organisation)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_decline(membership=membership, by=admin, reason="Not our staff")
    assert "Not our staff" in mailbox[0].body
    with pytest.raises(services.InvalidState):
        services.membership_approve(membership=membership, by=admin)
    with pytest.raises(services.InvalidState):
        services.membership_decline(membership=membership, by=admin)


def test_a_member_leaves():
    organisation = OrganisationFactory()
    person = member_of(organisation)
    membership = Membership.objects.get(user=person)
    services.membership_leave(membership=membership, by=person)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.LEFT
    assert membership.ended_at is not None


def test_someone_else_cannot_make_a_member_leave():
    organisation = OrganisationFactory()
    membership = Membership.objects.get(user=member_of(organisation))
    with pytest.raises(services.NotAllowed):
        services.membership_leave(membership=membership, by=admin_of(organisation))


def test_the_last_admin_cannot_leave_until_another_is_appointed():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    other = Membership.objects.get(user=member_of(organisation))
    mine = Membership.objects.get(user=admin)
    with pytest.raises(services.InvalidState, match="only admin"):
        services.membership_leave(membership=mine, by=admin)
    services.admin_appoint(membership=other, by=admin)
    services.membership_leave(membership=mine, by=admin)
    mine.refresh_from_db()
    assert mine.status == Membership.Status.LEFT


# --- Admins and profile ------------------------------------------------------------------------


def test_admin_appoint_and_remove_rules():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    membership = Membership.objects.get(user=member_of(organisation))
    with pytest.raises(services.NotAllowed):
        services.admin_appoint(membership=membership, by=member_of(organisation))
    services.admin_appoint(membership=membership, by=admin)
    with pytest.raises(services.InvalidState):
        services.admin_appoint(membership=membership, by=admin)
    services.admin_remove(membership=membership, by=admin)
    membership.refresh_from_db()
    assert membership.role == Membership.Role.MEMBER
    with pytest.raises(services.InvalidState, match="at least one admin"):
        services.admin_remove(membership=Membership.objects.get(user=admin), by=admin)


def test_a_requested_membership_cannot_be_made_admin():
    organisation = OrganisationFactory()
    with pytest.raises(services.InvalidState):
        services.admin_appoint(membership=join_request(organisation), by=admin_of(organisation))


def test_admins_update_the_profile_and_others_cannot():
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    services.organisation_update(
        organisation=organisation, by=admin, pledge="Buy local.", email_domains=["@Example.NHS.uk"]
    )
    organisation.refresh_from_db()
    assert organisation.pledge == "Buy local."
    assert organisation.email_domains == ["example.nhs.uk"]
    with pytest.raises(services.NotAllowed):
        services.organisation_update(organisation=organisation, by=member_of(organisation), pledge="Hacked")
    with pytest.raises(services.NotAllowed):
        services.organisation_update(organisation=organisation, by=admin_of(OrganisationFactory()), pledge="Hacked")


# --- Roles -------------------------------------------------------------------------------------


def test_coordinators_appoint_and_remove_regional_leads():
    boss = coordinator()
    person = UserFactory()
    assert lead_region_ids(person) == frozenset()
    appointment = services.regional_lead_appoint(user=person, region=region("Y62"), by=boss)
    assert lead_region_ids(person) == {region("Y62").pk}
    with pytest.raises(services.InvalidState):
        services.regional_lead_appoint(user=person, region=region("Y62"), by=boss)
    services.regional_lead_remove(appointment=appointment, by=boss)
    assert lead_region_ids(person) == frozenset()
    assert not RegionalLead.objects.filter(user=person).exists()


def test_a_regional_lead_cannot_appoint_leads_or_coordinators():
    lead = lead_of("Y63")
    with pytest.raises(services.NotAllowed):
        services.regional_lead_appoint(user=UserFactory(), region=region("Y63"), by=lead)
    with pytest.raises(services.NotAllowed):
        services.coordinator_appoint(user=UserFactory(), by=lead)
    with pytest.raises(services.NotAllowed):
        services.regional_lead_remove(appointment=RegionalLead.objects.get(user=lead), by=lead)


def test_appointing_a_coordinator_lets_them_edit_reference_data_in_the_admin():
    boss = coordinator()
    person = UserFactory()
    appointment = services.coordinator_appoint(user=person, by=boss)
    person.refresh_from_db()
    assert is_coordinator(person)
    assert person.is_staff
    assert person.has_perm("anchors.change_region")
    assert person.has_perm("anchors.change_pillar")
    assert person.has_perm("anchors.change_integratedcareboard")
    assert not person.has_perm("anchors.delete_region")
    assert person.has_perm("anchors.add_sharedemaildomain")
    assert person.has_perm("anchors.delete_sharedemaildomain")
    with pytest.raises(services.InvalidState):
        services.coordinator_appoint(user=person, by=boss)
    services.coordinator_remove(coordinator=appointment, by=boss)
    person = type(person).objects.get(pk=person.pk)
    assert not is_coordinator(person)
    assert not person.is_staff
    assert not person.groups.filter(name=Group.objects.get(name="Coordinators").name).exists()


def test_a_coordinator_cannot_remove_themselves():
    boss = coordinator()
    with pytest.raises(services.InvalidState):
        services.coordinator_remove(coordinator=boss.coordinator, by=boss)
