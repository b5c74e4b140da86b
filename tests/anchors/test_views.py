import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anchors.models import Membership, Organisation
from tests.anchors.factories import (
    OrganisationFactory,
    admin_of,
    coordinator,
    join_request,
    lead_of,
    listed,
    member_of,
    pending,
    pillar,
    region,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


# --- Directory ---------------------------------------------------------------------------------


def test_the_directory_lists_only_verified_organisations(client):
    OrganisationFactory(name="Visible Trust")
    pending(name="Pending Trust")
    listed(name="Listed Trust")
    response = client.get(reverse("anchors:directory"))
    assert response.status_code == 200
    assert "Visible Trust" in response.text
    assert "Pending Trust" not in response.text
    assert "Listed Trust" not in response.text
    assert "1 organisation" in response.text


def test_the_directory_filters_and_searches(client):
    OrganisationFactory(name="Leeds Teaching Hospitals NHS Trust", ods_code="RR8", region=region("Y63"), pillars=[pillar("workforce")])
    OrganisationFactory(name="Royal Free London", ods_code="RAL", region=region("Y56"), type=Organisation.Type.MENTAL_HEALTH_TRUST)
    url = reverse("anchors:directory")
    assert "Royal Free" not in client.get(url, {"region": "north-east-and-yorkshire"}).text
    assert "Leeds" not in client.get(url, {"type": "mental_health_trust"}).text
    assert "Royal Free" not in client.get(url, {"pillar": "workforce"}).text
    found = client.get(url, {"q": "rr8"}).text
    assert "Leeds Teaching" in found and "Royal Free" not in found
    assert "Leeds" not in client.get(url, {"q": "free"}).text


def test_the_directory_paginates_twenty_a_page(client):
    OrganisationFactory.create_batch(21)
    first = client.get(reverse("anchors:directory"))
    assert "21 organisations" in first.text
    assert len(first.context["organisations"]) == 20
    assert len(client.get(reverse("anchors:directory"), {"page": 2}).context["organisations"]) == 1


def test_a_bad_filter_shows_the_error_summary_not_a_500(client):
    response = client.get(reverse("anchors:directory"), {"region": "atlantis", "q": "kept"})
    assert response.status_code == 200
    assert "nhsuk-error-summary" in response.text
    assert 'value="kept"' in response.text


def _directory_queries(client) -> int:
    cache.clear()  # count the page built, not the one the page cache serves visitors
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("anchors:directory"), {"region": "north-east-and-yorkshire", "pillar": "purchasing"})
    assert response.status_code == 200
    return len(queries)


def test_the_directory_runs_the_same_queries_for_1_and_50_organisations(client):
    """Prevent an n+1. Nine queries whatever the rows: the chosen region and pillar (2), the
    result count (1), the region and pillar checkboxes (count and list each, 4), the page of
    organisations with region and ICB joined (1), and their pillars in one prefetch (1)."""
    OrganisationFactory(pillars=[pillar("purchasing"), pillar("workforce")])
    one = _directory_queries(client)
    for _ in range(49):
        OrganisationFactory(pillars=[pillar("purchasing"), pillar("estates")], icb_id=None)
    fifty = _directory_queries(client)
    assert one == fifty
    assert one == 9


# --- Profiles and visibility -------------------------------------------------------------------


def test_a_verified_profile_is_public(client):
    organisation = OrganisationFactory(pledge="We hire locally.", pillars=[pillar("workforce")])
    response = client.get(organisation.get_absolute_url())
    assert response.status_code == 200
    assert "We hire locally." in response.text
    assert response.context["organisation"] == organisation


@pytest.mark.parametrize("who", ["visitor", "stranger", "lead_elsewhere"])
def test_a_pending_organisation_is_hidden_from_others(client, who):
    organisation = pending(region=region("Y63"))
    if who == "stranger":
        signed_in(client, UserFactory())
    elif who == "lead_elsewhere":
        signed_in(client, lead_of("Y56"))
    assert client.get(organisation.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("who", ["registrant", "lead", "coordinator"])
def test_a_pending_organisation_is_shown_to_those_concerned(client, who):
    organisation = pending(region=region("Y63"))
    user = {"registrant": organisation.registered_by, "lead": lead_of("Y63"), "coordinator": coordinator()}[who]
    response = signed_in(client, user).get(organisation.get_absolute_url())
    assert response.status_code == 200
    assert "Awaiting verification" in response.text


def test_a_listed_organisation_has_no_public_page(client):
    assert client.get(listed().get_absolute_url()).status_code == 404


# --- Registering -------------------------------------------------------------------------------


def test_visitors_are_sent_to_sign_in_to_register(client):
    response = client.get(reverse("anchors:register"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_searching_and_registering_a_listed_organisation(client):
    organisation = listed(name="Northumbria Healthcare NHS Foundation Trust", ods_code="RTF")
    person = UserFactory()
    signed_in(client, person)
    response = client.get(reverse("anchors:register"), {"q": "rtf"})
    assert "Northumbria Healthcare" in response.text
    response = client.post(reverse("anchors:register_listed", args=[organisation.slug]))
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.registered_by == person


def test_registering_an_existing_member_offers_to_join(client):
    organisation = OrganisationFactory()
    response = signed_in(client, UserFactory()).post(reverse("anchors:register_listed", args=[organisation.slug]))
    assert response.status_code == 409
    assert reverse("anchors:join", args=[organisation.slug]) in response.text


def test_the_partner_form_keeps_what_was_typed_on_error(client):
    response = signed_in(client, UserFactory()).post(
        reverse("anchors:register_partner"),
        {"name": "Leeds Beckett University", "type": "university", "region": "", "email_domains": "not a domain", "description": ""},
    )
    assert response.status_code == 200
    assert "nhsuk-error-summary" in response.text
    assert 'value="Leeds Beckett University"' in response.text
    assert "not a domain" in response.text
    assert not Organisation.objects.exists()


def test_a_partner_is_registered(client):
    response = signed_in(client, UserFactory()).post(
        reverse("anchors:register_partner"),
        {"name": "Leeds Beckett University", "type": "university", "region": region("Y63").pk,
         "email_domains": "leedsbeckett.ac.uk", "description": "A university.", "website": "leedsbeckett.ac.uk"},
    )
    organisation = Organisation.objects.get(name="Leeds Beckett University")
    assert response.status_code == 302
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.website == "https://leedsbeckett.ac.uk"


# --- Joining and admin pages -------------------------------------------------------------------


def test_asking_to_join_without_a_reason_shows_the_error_summary(client):
    organisation = OrganisationFactory()
    response = signed_in(client, UserFactory()).post(reverse("anchors:join", args=[organisation.slug]), {"reason": ""})
    assert "nhsuk-error-summary" in response.text
    assert not Membership.objects.exists()


def test_asking_twice_shows_the_refusal_in_the_error_summary(client):
    organisation = OrganisationFactory()
    person = member_of(organisation)
    response = signed_in(client, person).post(reverse("anchors:join", args=[organisation.slug]), {"reason": "Again please"})
    assert response.status_code == 200
    assert "already belong" in response.text
    assert "Again please" in response.text


def test_only_admins_see_the_requests_page(client):
    organisation = OrganisationFactory()
    url = reverse("anchors:requests", args=[organisation.slug])
    assert client.get(url).status_code == 302
    assert signed_in(client, member_of(organisation)).get(url).status_code == 403
    assert signed_in(client, admin_of(OrganisationFactory())).get(url).status_code == 403
    assert signed_in(client, admin_of(organisation)).get(url).status_code == 200


def test_an_admin_approves_from_the_requests_page(client):
    organisation = OrganisationFactory()
    membership = join_request(organisation)
    signed_in(client, admin_of(organisation))
    assert membership.reason in client.get(reverse("anchors:requests", args=[organisation.slug])).text
    client.post(reverse("anchors:request_approve", args=[organisation.slug, membership.pk]))
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    response = client.post(reverse("anchors:request_approve", args=[organisation.slug, membership.pk]), follow=True)
    assert "already been decided" in response.text


def test_an_admin_of_another_organisation_cannot_approve_by_post(client):
    organisation = OrganisationFactory()
    membership = join_request(organisation)
    response = signed_in(client, admin_of(OrganisationFactory())).post(
        reverse("anchors:request_approve", args=[organisation.slug, membership.pk])
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REQUESTED


def test_an_admin_declines_with_a_reason(client):
    organisation = OrganisationFactory()
    membership = join_request(organisation)
    signed_in(client, admin_of(organisation)).post(
        reverse("anchors:request_decline", args=[organisation.slug, membership.pk]), {"reason": "Not staff"}
    )
    membership.refresh_from_db()
    assert (membership.status, membership.decision_reason) == (Membership.Status.DECLINED, "Not staff")


def test_the_last_admin_is_told_to_appoint_another_before_leaving(client):
    organisation = OrganisationFactory()
    admin = admin_of(organisation)
    response = signed_in(client, admin).post(reverse("anchors:leave", args=[organisation.slug]), follow=True)
    assert "appoint another admin" in response.text
    assert Membership.objects.admins().filter(user=admin).exists()


def test_admins_edit_the_profile_and_members_cannot(client):
    organisation = OrganisationFactory()
    url = reverse("anchors:edit", args=[organisation.slug])
    assert signed_in(client, member_of(organisation)).get(url).status_code == 403
    signed_in(client, admin_of(organisation))
    bad = client.post(url, {"pledge": "Kept pledge", "email_domains": "bad domain!", "website": ""})
    assert "nhsuk-error-summary" in bad.text and "Kept pledge" in bad.text
    client.post(url, {"pledge": "New pledge", "pillars": [pillar("estates").pk], "email_domains": "trust.nhs.uk"})
    organisation.refresh_from_db()
    assert organisation.pledge == "New pledge"
    assert list(organisation.pillars.all()) == [pillar("estates")]


def test_admins_appoint_another_admin(client):
    organisation = OrganisationFactory()
    membership = Membership.objects.get(user=member_of(organisation))
    signed_in(client, admin_of(organisation)).post(
        reverse("anchors:admin_change", args=[organisation.slug, membership.pk, "appoint"])
    )
    membership.refresh_from_db()
    assert membership.role == Membership.Role.ADMIN


# --- Verification and roles --------------------------------------------------------------------


def test_the_verification_queue_shows_the_leads_regions_oldest_first(client):
    from django.utils import timezone

    newer = pending(name="Newer Trust", region=region("Y63"))
    older = pending(name="Older Trust", region=region("Y63"), registered_at=timezone.now() - timezone.timedelta(days=3))
    pending(name="London Trust", region=region("Y56"))
    response = signed_in(client, lead_of("Y63")).get(reverse("anchors:verification"))
    assert list(response.context["pending"]) == [older, newer]
    assert "London Trust" not in response.text


def test_the_verification_queue_refuses_others(client):
    assert signed_in(client, UserFactory()).get(reverse("anchors:verification")).status_code == 403


def test_a_lead_verifies_and_declines_from_the_site(client):
    first, second = pending(region=region("Y63")), pending(region=region("Y63"))
    signed_in(client, lead_of("Y63"))
    client.post(reverse("anchors:verification_decide", args=[first.slug]), {"decision": "verify"})
    empty = client.post(reverse("anchors:verification_decide", args=[second.slug]), {"decision": "decline", "reason": ""})
    assert "nhsuk-error-summary" in empty.text
    client.post(reverse("anchors:verification_decide", args=[second.slug]), {"decision": "decline", "reason": "Duplicate"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_verified
    assert (second.status, second.decision_reason) == (Organisation.Status.DECLINED, "Duplicate")


def test_a_lead_of_another_region_gets_404_on_the_decision_page(client):
    organisation = pending(region=region("Y56"))
    response = signed_in(client, lead_of("Y63")).post(
        reverse("anchors:verification_decide", args=[organisation.slug]), {"decision": "verify"}
    )
    assert response.status_code == 404
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING


def test_only_coordinators_see_the_roles_page(client):
    assert signed_in(client, lead_of("Y63")).get(reverse("anchors:roles")).status_code == 403
    assert signed_in(client, coordinator()).get(reverse("anchors:roles")).status_code == 200


def test_a_coordinator_appoints_a_lead_and_sees_errors_for_unknown_people(client):
    person = UserFactory()
    signed_in(client, coordinator())
    bad = client.post(reverse("anchors:roles"), {"form": "lead", "lead-email": "nobody@example.org", "lead-region": region("Y63").pk})
    assert "nhsuk-error-summary" in bad.text and "nobody@example.org" in bad.text
    client.post(reverse("anchors:roles"), {"form": "lead", "lead-email": person.email, "lead-region": region("Y63").pk})
    assert person.lead_appointments.filter(region=region("Y63")).exists()


def test_a_lead_cannot_remove_another_lead(client):
    other = lead_of("Y56")
    appointment = other.lead_appointments.get()
    assert signed_in(client, lead_of("Y63")).post(reverse("anchors:lead_remove", args=[appointment.pk])).status_code == 403


# --- Account page ------------------------------------------------------------------------------


def test_the_account_page_lists_organisations_requests_and_role_links(client):
    organisation = OrganisationFactory(name="Home Trust")
    person = admin_of(organisation)
    join_request(OrganisationFactory(name="Next Trust"), user=person)
    page = signed_in(client, person).get(reverse("accounts:profile")).text
    assert "Home Trust" in page and "Admin" in page
    assert "Next Trust" in page
    assert reverse("anchors:verification") not in page
    boss = coordinator()
    page = signed_in(client, boss).get(reverse("accounts:profile")).text
    assert reverse("anchors:verification") in page
    assert reverse("anchors:roles") in page
