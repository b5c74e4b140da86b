"""Shared email domains (nhs.net, gov.uk, gmail.com...) never admit anyone to an organisation."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from anchors import services
from anchors.models import (
    Membership,
    Organisation,
    SharedEmailDomain,
    is_shared_domain,
    shared_domains_in,
)
from tests.anchors.factories import OrganisationFactory, admin_of, coordinator, lead_of, region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def recipients(mailbox) -> list[str]:
    return sorted(address for message in mailbox for address in message.to)


# --- The list and the one check ----------------------------------------------------------------


def test_the_obvious_shared_domains_are_seeded():
    seeded = set(SharedEmailDomain.objects.values_list("domain", flat=True))
    assert {"nhs.net", "nhs.uk", "nhs.scot", "wales.nhs.uk", "hscni.net", "gov.uk", "gmail.com", "outlook.com"} <= seeded


def test_matching_is_exact_so_an_organisations_own_subdomain_is_not_shared():
    assert is_shared_domain("nhs.uk")
    assert is_shared_domain("@NHS.net ")
    assert not is_shared_domain("nhct.nhs.uk")
    assert not is_shared_domain("mail.gmail.com")
    assert shared_domains_in(["nhct.nhs.uk", "Gmail.com", "nhs.net", ""]) == ["gmail.com", "nhs.net"]


def test_loading_the_seed_again_keeps_a_coordinators_edits():
    SharedEmailDomain.objects.filter(domain="gmail.com").update(note="Edited by a coordinator")
    SharedEmailDomain.objects.filter(domain="aol.com").delete()
    importlib.import_module("anchors.migrations.0006_shared_email_domains").load(apps, None)
    assert SharedEmailDomain.objects.get(domain="gmail.com").note == "Edited by a coordinator"
    assert SharedEmailDomain.objects.filter(domain="aol.com").exists()


# --- Joining -----------------------------------------------------------------------------------


def test_an_nhs_net_address_never_joins_at_once_even_if_the_organisation_lists_nhs_net(
    django_capture_on_commit_callbacks, mailbox
):
    # Saved before nhs.net was known to be shared: the stored list must not let people in.
    organisation = OrganisationFactory(email_domains=["nhs.net", "rfh.nhs.uk"])
    admin = admin_of(organisation)
    person = UserFactory(email="sam.jones@nhs.net")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_request(organisation=organisation, by=person, reason="I work in procurement")
    assert membership.status == Membership.Status.REQUESTED
    assert membership.decided_at is None
    assert recipients(mailbox) == [admin.email]
    assert reverse("anchors:requests", args=[organisation.slug]) in mailbox[0].body


def test_an_organisations_own_nhs_subdomain_still_joins_at_once(django_capture_on_commit_callbacks, mailbox):
    organisation = OrganisationFactory(email_domains=["nhct.nhs.uk"])
    admin_of(organisation)
    person = UserFactory(email="alex@nhct.nhs.uk")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_request(organisation=organisation, by=person, reason="I work there")
    assert membership.status == Membership.Status.ACTIVE
    assert recipients(mailbox) == [person.email]


# --- Services refuse an organisation claiming one ----------------------------------------------


def test_registering_a_partner_with_a_shared_domain_is_refused():
    with pytest.raises(services.InvalidState, match="gov.uk is shared by many organisations"):
        services.organisation_register_partner(
            by=UserFactory(), name="Leeds City Council", type=Organisation.Type.LOCAL_AUTHORITY,
            region=region("Y63"), email_domains=["leeds.gov.uk", "GOV.UK"],
        )
    assert not Organisation.objects.filter(name="Leeds City Council").exists()


def test_an_admin_cannot_add_a_shared_domain_to_the_profile():
    organisation = OrganisationFactory(email_domains=["rfh.nhs.uk"])
    admin = admin_of(organisation)
    with pytest.raises(services.InvalidState, match="nhs.net and outlook.com are shared"):
        services.organisation_update(organisation=organisation, by=admin, email_domains=["nhs.net", "outlook.com", "rfh.nhs.uk"])
    organisation.refresh_from_db()
    assert organisation.email_domains == ["rfh.nhs.uk"]


# --- Forms -------------------------------------------------------------------------------------


def test_the_partner_form_refuses_a_shared_domain_and_keeps_what_was_typed(client):
    response = signed_in(client, UserFactory()).post(
        reverse("anchors:register_partner"),
        {"name": "Leeds Beckett University", "type": "university", "region": region("Y63").pk,
         "email_domains": "leedsbeckett.ac.uk\ngmail.com", "description": "A university."},
    )
    assert response.status_code == 200
    summary = response.text.split("nhsuk-error-summary", 1)[1]
    assert "gmail.com is shared by many organisations" in summary
    assert 'value="Leeds Beckett University"' in response.text
    assert "leedsbeckett.ac.uk\ngmail.com" in response.text
    assert not Organisation.objects.filter(name="Leeds Beckett University").exists()


def test_the_profile_form_refuses_a_shared_domain_and_keeps_what_was_typed(client):
    organisation = OrganisationFactory(email_domains=["rfh.nhs.uk"])
    response = signed_in(client, admin_of(organisation)).post(
        reverse("anchors:edit", args=[organisation.slug]),
        {"pledge": "Our new pledge", "email_domains": "rfh.nhs.uk\nnhs.net"},
    )
    assert response.status_code == 200
    assert "nhs.net is shared by many organisations" in response.text.split("nhsuk-error-summary", 1)[1]
    assert "Our new pledge" in response.text
    organisation.refresh_from_db()
    assert organisation.email_domains == ["rfh.nhs.uk"]
    assert organisation.pledge != "Our new pledge"


def test_the_profile_form_accepts_an_nhs_subdomain(client):
    organisation = OrganisationFactory(email_domains=[])
    signed_in(client, admin_of(organisation)).post(
        reverse("anchors:edit", args=[organisation.slug]), {"email_domains": "nhct.nhs.uk"}
    )
    organisation.refresh_from_db()
    assert organisation.email_domains == ["nhct.nhs.uk"]


# --- Coordinators keep the list in the admin ---------------------------------------------------


def test_a_coordinator_adds_a_shared_domain_in_the_admin_and_it_takes_effect(client):
    boss = coordinator()
    person = UserFactory()
    services.coordinator_appoint(user=person, by=boss)
    organisation = OrganisationFactory(email_domains=["example-partners.org.uk"])
    response = signed_in(client, person).post(
        reverse("admin:anchors_sharedemaildomain_add"),
        {"domain": "@Example-Partners.org.uk", "note": "A shared mail service"},
    )
    assert response.status_code == 302
    assert SharedEmailDomain.objects.filter(domain="example-partners.org.uk").exists()
    joiner = UserFactory(email="kim@example-partners.org.uk")
    membership = services.membership_request(organisation=organisation, by=joiner, reason="I work there")
    assert membership.status == Membership.Status.REQUESTED


def test_a_coordinator_can_delete_a_shared_domain_added_by_mistake(client):
    person = UserFactory()
    services.coordinator_appoint(user=person, by=coordinator())
    domain = SharedEmailDomain.objects.create(domain="mistake.example.org")
    signed_in(client, person).post(
        reverse("admin:anchors_sharedemaildomain_delete", args=[domain.pk]), {"post": "yes"}
    )
    assert not SharedEmailDomain.objects.filter(pk=domain.pk).exists()


@pytest.mark.parametrize("who", ["member", "lead", "staff_without_role"])
def test_others_cannot_reach_the_shared_domains_admin(client, who):
    organisation = OrganisationFactory()
    person = {
        "member": lambda: admin_of(organisation),
        "lead": lambda: lead_of("Y63"),
        "staff_without_role": lambda: UserFactory(is_staff=True),
    }[who]()
    url = reverse("admin:anchors_sharedemaildomain_add")
    response = signed_in(client, person).post(url, {"domain": "leeds.gov.uk"})
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "login" in response["Location"]
    assert not SharedEmailDomain.objects.filter(domain="leeds.gov.uk").exists()


def test_a_visitor_is_sent_to_sign_in_for_the_shared_domains_admin(client):
    response = client.get(reverse("admin:anchors_sharedemaildomain_changelist"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_database_keeps_shared_domains_lowercase():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SharedEmailDomain.objects.create(domain="Example.ORG")


def test_coordinators_appointed_before_the_list_existed_may_keep_it():
    from django.contrib.auth.models import Group

    # The group as it stood before this list existed: no permissions on shared domains.
    group, _ = Group.objects.get_or_create(name="Coordinators")
    group.permissions.remove(*group.permissions.filter(codename__endswith="sharedemaildomain"))
    migration = importlib.import_module("anchors.migrations.0006_shared_email_domains")
    migration.grant_coordinators(apps, None)
    granted = set(group.permissions.values_list("codename", flat=True))
    assert {"add_sharedemaildomain", "change_sharedemaildomain", "delete_sharedemaildomain"} <= granted
