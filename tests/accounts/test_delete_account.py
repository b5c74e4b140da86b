"""Delete my account: confirmed with the password (and a two-factor code when enrolled),
refused while the person is an organisation's only admin, and afterwards nothing of theirs is
left in any table."""

import json
import time

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import models
from django.test import Client

from accounts import services
from accounts.models import DataExport, User
from anchors.models import Membership, MembershipEvent, Organisation
from casestudies.models import Attachment, CaseStudy, Revision, Transition
from evidence.models import AnnualFigure, StandardMeasure
from network.models import Delivery, GroupMembership, Post, Thread
from outbox.models import OutgoingEmail
from tests.accounts.test_accounts import enrol_totp, totp
from tests.anchors.factories import MembershipFactory, OrganisationFactory, admin_of, member_of
from tests.factories import PASSWORD, UserFactory
from tests.network.factories import join

pytestmark = pytest.mark.django_db


def leftovers(user_id: int, needles: list[str]) -> list[str]:
    """Every row in every table that still points at the user or contains one of the needles
    (their email addresses and name) in a text, character or JSON field."""
    found = []
    user_model = apps.get_model("accounts", "User")
    for model in apps.get_models(include_auto_created=True):
        rows = model._base_manager.all()
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is user_model:
                if rows.filter(**{field.attname: user_id}).exists():
                    found.append(f"{model._meta.label}.{field.name} points at the deleted user")
            elif isinstance(field, models.JSONField):
                for value in rows.values_list(field.attname, flat=True):
                    text = json.dumps(value).lower()
                    found += [f"{model._meta.label}.{field.name} contains {n}" for n in needles if n.lower() in text]
            elif isinstance(field, models.CharField | models.TextField):
                for needle in needles:
                    if rows.filter(**{f"{field.attname}__icontains": needle}).exists():
                        found.append(f"{model._meta.label}.{field.name} contains {needle}")
    return found


def sessions_of(user_id: int) -> list[str]:
    return [s.session_key for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user_id)]


def test_a_visitor_is_sent_to_sign_in(client):
    assert client.get("/account/delete/")["Location"].startswith("/account/login/")
    assert client.post("/account/delete/", {"password": PASSWORD})["Location"].startswith("/account/login/")


def test_the_page_says_what_goes_and_what_stays(client, person):
    client.force_login(person.user)
    assert 'href="/account/delete/"' in client.get("/account/").content.decode()
    page = client.get("/account/delete/").content.decode()
    assert "What we delete" in page and "What stays" in page
    for words in (
        "Your email addresses",
        "Your memberships of organisations",
        "Your membership of learning groups",
        "Your choices about digest emails",
        "signed out everywhere",
        "Case studies you wrote stay with your organisation, and no longer name you",
        "a former member",
    ):
        assert words in page, words
    assert 'autocomplete="current-password"' in page
    assert "authenticator app" not in page  # no two-factor enrolled: no code asked for


def test_a_wrong_password_is_summarised_and_nothing_is_deleted(client, person):
    client.force_login(person.user)
    response = client.post("/account/delete/", {"password": "not-my-password"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html and 'href="#id_password"' in html
    assert "The password is not right" in html
    assert "<title>Error: " in html
    assert User.objects.filter(pk=person.user.pk).exists()
    assert Membership.objects.filter(user=person.user).count() == 2

    empty = client.post("/account/delete/", {"password": ""}).content.decode()
    assert "Enter your password" in empty
    nothing = client.post("/account/delete/").content.decode()
    assert "nhsuk-error-summary" in nothing and "Enter your password" in nothing


def test_guessing_the_password_is_rate_limited(client):
    member = UserFactory()
    client.force_login(member)
    for _ in range(5):
        client.post("/account/delete/", {"password": "guess"})
    response = client.post("/account/delete/", {"password": PASSWORD})
    assert "too many times" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()


def test_with_two_factor_it_needs_a_code_as_well(client):
    member = UserFactory(email="two-factor@trust.example")
    secret = enrol_totp(client, member)
    page = client.get("/account/delete/").content.decode()
    assert "Code from your authenticator app" in page

    missing = client.post("/account/delete/", {"password": PASSWORD}).content.decode()
    assert "Enter the code from your authenticator app" in missing and 'href="#id_code"' in missing
    wrong = client.post("/account/delete/", {"password": PASSWORD, "code": "000000"}).content.decode()
    assert "The code is not right" in wrong
    bad_password = client.post("/account/delete/", {"password": "nope", "code": totp(secret)}).content.decode()
    assert "The password is not right" in bad_password
    assert User.objects.filter(pk=member.pk).exists()

    later = time.time() + 31
    with time_machine.travel(later, tick=False):
        response = client.post("/account/delete/", {"password": PASSWORD, "code": totp(secret, later)})
    assert response["Location"] == "/account/deleted/"
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Authenticator.objects.exists()


def test_a_recovery_code_will_do_instead_of_the_app(client):
    member = UserFactory(email="lost-phone-2@trust.example")
    enrol_totp(client, member)
    spare = Authenticator.objects.get(user=member, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()[0]
    response = client.post("/account/delete/", {"password": PASSWORD, "code": spare})
    assert response["Location"] == "/account/deleted/"
    assert not User.objects.filter(pk=member.pk).exists()


def test_the_only_admin_of_an_organisation_with_members_is_refused(client):
    organisation = OrganisationFactory(name="Solo Admin Trust")
    admin = admin_of(organisation)
    member_of(organisation)
    client.force_login(admin)

    page = client.get("/account/delete/").content.decode()
    assert "You are the only admin of Solo Admin Trust" in page
    assert "Appoint another of its members as an admin first" in page
    assert 'type="password"' not in page

    response = client.post("/account/delete/", {"password": PASSWORD})
    assert "You are the only admin of Solo Admin Trust" in response.content.decode()
    assert User.objects.filter(pk=admin.pk).exists()
    with pytest.raises(services.DeletionRefused):
        services.account_delete(user=admin, by=admin)

    # With a second admin appointed, the first may go.
    MembershipFactory(organisation=organisation, role=Membership.Role.ADMIN)
    assert client.post("/account/delete/", {"password": PASSWORD})["Location"] == "/account/deleted/"
    assert not User.objects.filter(pk=admin.pk).exists()


def test_the_only_member_of_an_organisation_may_go_and_the_organisation_stays(client):
    organisation = OrganisationFactory(name="Lone Trust")
    admin = admin_of(organisation)
    client.force_login(admin)
    assert client.post("/account/delete/", {"password": PASSWORD})["Location"] == "/account/deleted/"
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_nobody_can_delete_someone_else():
    owner, other = UserFactory(), UserFactory()
    with pytest.raises(services.NotAllowed):
        services.account_delete(user=owner, by=other)
    assert User.objects.filter(pk=owner.pk).exists()


def test_deleting_removes_everything_of_theirs_and_keeps_the_organisations_work(client, person, committed):
    user = person.user
    user_id = user.pk
    EmailAddress.objects.create(user=user, email="p.quillfeather@other.example", verified=False)
    needles = ["philippa.quillfeather@trust.example", "p.quillfeather@other.example", "Philippa Quillfeather"]

    # Things that point at her from other people's rows.
    someone = member_of(person.organisation)
    join(person.group, someone)
    their_membership = Membership.objects.get(user=someone)
    MembershipEvent.objects.create(membership=their_membership, action=MembershipEvent.Action.APPROVED, by=user)
    LogEntry.objects.create(
        user=UserFactory(is_staff=True), content_type=ContentType.objects.get_for_model(User),
        object_id=str(user_id), object_repr=str(user), action_flag=CHANGE, change_message="[]",
    )
    # Email waiting for her, and a record of one sent to an admin about her.
    OutgoingEmail.objects.create(to=user.email, subject="Your digest", text="Hello Philippa Quillfeather")
    OutgoingEmail.objects.create(
        to=person.colleague.email, subject="Philippa Quillfeather asked to join", text="Please decide.",
        status=OutgoingEmail.Status.SENT,
    )
    unrelated = OutgoingEmail.objects.create(to=someone.email, subject="Welcome", text="Hello")
    figure = AnnualFigure.objects.create(
        organisation=person.organisation, measure=StandardMeasure.objects.first(), year=2024, value=1234,
        recorded_by=user, published_by=user,
    )

    # Her earlier download, and a second browser signed in as her.
    with committed():
        export = services.data_export_request(user=user, by=user)
    export.refresh_from_db()
    export_file = export.file.name
    other_browser = Client()
    other_browser.force_login(user)
    bystander = Client()
    bystander.force_login(someone)

    client.force_login(user)
    with committed():
        response = client.post("/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/deleted/"
    page = client.get("/account/deleted/")
    assert page.status_code == 200 and "Your account has been deleted" in page.content.decode()

    # Signed out, here and everywhere else; other people stay signed in.
    assert client.get("/account/")["Location"].startswith("/account/login/")
    assert other_browser.get("/account/")["Location"].startswith("/account/login/")
    assert sessions_of(user_id) == []
    assert bystander.get("/account/").status_code == 200

    # Her personal data goes...
    assert not User.objects.filter(pk=user_id).exists()
    assert not Membership.objects.filter(pk__in=[person.membership.pk, person.join_request.pk]).exists()
    assert not GroupMembership.objects.filter(pk=person.group_request.pk).exists()
    assert not Delivery.objects.filter(digest__in=[person.sent_digest, person.queued_digest]).exists()
    assert not DataExport.objects.exists() and not default_storage.exists(export_file)
    assert list(OutgoingEmail.objects.all()) == [unrelated]

    # ...the organisation's work stays, without her name.
    case_study = CaseStudy.objects.get(pk=person.case_study.pk)
    assert case_study.status == CaseStudy.Status.PUBLISHED
    assert (case_study.created_by, case_study.contact_name, case_study.contact_email) == (None, "", "")
    revision = Revision.objects.get(pk=person.revision.pk)
    assert revision.content["title"].endswith("updated") and revision.content["contact_name"] == ""
    assert Attachment.objects.get(pk=person.attachment.pk).uploaded_by is None
    decision = Transition.objects.get(pk=person.decision.pk)
    assert decision.by is None and decision.comment == "Add the figures, please."
    assert MembershipEvent.objects.get(membership=their_membership, action="approved").by is None
    post = Post.objects.get(pk=person.post.pk)
    assert post.author is None and post.body == "What do you think?"
    assert Thread.objects.get(pk=person.thread.pk).author is None
    thread_page = bystander.get(person.thread.get_absolute_url()).content.decode()
    assert "former member" in thread_page.lower() and "What do you think?" in thread_page
    assert Organisation.objects.get(pk=person.organisation.pk).registered_by is None
    figure.refresh_from_db()
    assert (figure.recorded_by, figure.published_by, figure.value) == (None, None, 1234)
    assert LogEntry.objects.get(object_id=str(user_id)).object_repr == "Deleted account"

    # And nothing in any table still points at her or names her.
    assert leftovers(user_id, needles) == []


def test_the_scan_finds_what_is_left_behind(person):
    """The check above can fail: it reports a row still naming the person."""
    needles = [person.user.email, person.user.full_name]
    found = leftovers(person.user.pk, needles)
    assert "casestudies.CaseStudy.contact_name contains Philippa Quillfeather" in found
    assert "casestudies.Revision.content contains Philippa Quillfeather" in found
    assert "network.Post.author points at the deleted user" in found


def test_a_short_name_does_not_sweep_away_other_peoples_email(client):
    member = UserFactory(full_name="Al")
    kept = OutgoingEmail.objects.create(to="someone@trust.example", subject="All the best", text="Hello")
    client.force_login(member)
    assert client.post("/account/delete/", {"password": PASSWORD})["Location"] == "/account/deleted/"
    assert OutgoingEmail.objects.filter(pk=kept.pk).exists()


def test_visitors_no_longer_see_their_name_on_a_cached_case_study_page(client, person, committed):
    visitor = Client()
    page = person.case_study.get_absolute_url()
    assert "Philippa Quillfeather" in visitor.get(page).content.decode()
    assert "Philippa Quillfeather" in visitor.get(page).content.decode()  # now from the cache

    client.force_login(person.user)
    with committed():
        client.post("/account/delete/", {"password": PASSWORD})
    assert "Philippa Quillfeather" not in visitor.get(page).content.decode()
