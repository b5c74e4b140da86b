"""Coordinators who are superusers can see the outbox in the admin, and only see it."""

import pytest
from django.contrib.auth.models import Permission

from outbox.models import OutgoingEmail
from outbox.services import outbox_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/outbox/outgoingemail/"


@pytest.fixture
def refused_email():
    (pk,) = outbox_add(
        to=["refused@trust.example"],
        subject="Reset your password",
        text="Reset it at https://example.org/secret-reset-link/",
        html="<a href='https://example.org/secret-reset-link/'>Reset</a>",
    )
    OutgoingEmail.objects.filter(pk=pk).update(
        status=OutgoingEmail.Status.FAILED, attempts=1, last_error="550 5.1.1 No such person"
    )
    return OutgoingEmail.objects.get(pk=pk)


def test_a_superuser_sees_each_email_with_its_status_and_reason(client, superuser, refused_email):
    client.force_login(superuser)

    page = client.get(LIST).content.decode()
    assert "refused@trust.example" in page
    assert "Reset your password" in page
    assert "550 5.1.1 No such person" in page

    detail = client.get(f"{LIST}{refused_email.pk}/change/")
    assert detail.status_code == 200
    assert "secret-reset-link" not in detail.content.decode()  # bodies can hold live links


def test_a_superuser_cannot_add_change_or_delete_emails(client, superuser, refused_email):
    client.force_login(superuser)

    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}{refused_email.pk}/delete/").status_code == 403
    client.post(f"{LIST}{refused_email.pk}/change/", {"to": "someone@else.example", "status": "queued"})
    refused_email.refresh_from_db()
    assert (refused_email.to, refused_email.status) == ("refused@trust.example", "failed")


def test_other_staff_cannot_see_the_outbox_even_with_the_permission(client, refused_email):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_outgoingemail"))
    client.force_login(staff)

    assert client.get(LIST).status_code == 403
    assert "Outbox" not in client.get("/admin/").content.decode()


def test_visitors_are_sent_to_sign_in(client, refused_email):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]
