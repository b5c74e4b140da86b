"""Download my data: asked for on the account page, built by a worker, emailed as a link that
only its owner can use, and only for 7 days."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts import services, tasks
from accounts.models import DataExport
from evidence.models import AnnualFigure, StandardMeasure
from network.models import Digest
from outbox.models import OutgoingEmail
from tests.anchors.factories import join_request
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def download_path(message) -> str:
    url = re.search(r"https?://\S+/account/your-data/\d+/download/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.post("/account/your-data/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    assert not DataExport.objects.exists()


def test_it_builds_one_file_with_everything_and_emails_a_link_to_it(client, person, committed):
    # What she decided as an admin and composed as a coordinator is about her too.
    decided = join_request(person.organisation)
    decided.status, decided.decided_by, decided.decided_at = "active", person.user, timezone.now()
    decided.save()
    Digest.objects.create(subject="Coordinators' digest, December", created_by=person.user)
    figure = AnnualFigure.objects.create(
        organisation=person.organisation, measure=StandardMeasure.objects.first(), year=2024, value=1234,
        recorded_by=person.user,
    )
    OutgoingEmail.objects.create(
        to=person.user.email.upper(), subject="Reset your password", text="https://example.org/reset/secret-key/",
        status=OutgoingEmail.Status.SENT,
    )
    client.force_login(person.user)
    with committed():
        response = client.post("/account/your-data/", follow=True)
    assert "We are preparing a copy of your data" in response.content.decode()

    export = DataExport.objects.get(user=person.user)
    assert export.status == DataExport.Status.READY
    assert export.expires_at - export.finished_at == timedelta(days=7)
    (message,) = [m for m in mail.outbox if "Your data is ready" in m.subject]
    assert message.to == [person.user.email]
    path = download_path(message)
    assert path in message.alternatives[0][0]

    response = client.get(path)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and ".zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))

    assert data["profile"]["email"] == "philippa.quillfeather@trust.example"
    assert data["profile"]["job_title"] == "Head of Social Value"
    assert "password" not in data["profile"]
    assert data["email_addresses"] == [
        {"email": "philippa.quillfeather@trust.example", "verified": True, "primary": True}
    ]
    memberships = {m["organisation"]: m for m in data["memberships"]}
    assert memberships["Quillford Hospitals NHS Trust"]["status"] == "Active"
    assert any(m["status"] == "Requested" for m in data["memberships"])
    assert data["organisations_you_registered"][0]["organisation"] == "Quillford Hospitals NHS Trust"
    assert [c["title"] for c in data["case_studies_you_started"]] == ["Local buying at Quillford"]
    assert data["case_studies_you_started"][0]["created_by"] == "you"
    assert data["case_study_revisions_you_wrote"][0]["content"]["title"].endswith("updated")
    assert data["case_study_steps_you_took"][0]["comment"] == "Add the figures, please."
    assert {g["group"]: g["status"] for g in data["learning_groups"]} == {
        "Invitation-only circle": "Asked to join",
        "Quillford procurement circle": "Member",
    }
    assert data["discussions_you_started"][0]["title"] == "Who buys locally?"
    assert data["posts_you_wrote"][0]["body"] == "What do you think?"
    assert "body_html" not in data["posts_you_wrote"][0]
    assert "context_html" not in data["case_studies_you_started"][0]
    assert data["digest_email_choices"]["frequency"].startswith("Monthly")
    assert {d["digest"] for d in data["digests_sent_to_you"]} == {
        "News from the network, October",
        "News from the network, November",
    }
    (decision,) = data["membership_requests_you_decided"]
    assert decision["organisation"] == "Quillford Hospitals NHS Trust" and decision["status"] == "Active"
    assert decision["decided_at"].startswith(f"{decided.decided_at:%Y-%m-%dT%H:%M}")
    assert [d["subject"] for d in data["digests_you_composed"]] == ["Coordinators' digest, December"]
    # The emails we stored for her, without their bodies (which can hold working links).
    assert [(e["subject"], e["status"]) for e in data["emails_we_sent_you"]] == [("Reset your password", "Sent")]
    assert "secret-key" not in archive.read("data.json").decode()
    (recorded,) = data["annual_figures_you_recorded_or_published"]
    assert recorded["measure"] == str(figure.measure) and recorded["recorded_by"] == "you"
    # The file she uploaded comes with it, under a name that cannot escape its folder.
    (name,) = [n for n in archive.namelist() if n.startswith("files/")]
    assert name.endswith("Quillford report.pdf")
    assert archive.read(name) == b"%PDF-1.4 quillford report"
    # Other people appear only as "another person".
    assert person.colleague.full_name not in json.dumps(data)


def test_it_is_plain_json_when_the_person_uploaded_nothing(client, committed):
    member = UserFactory(full_name="Ada Lovelace")
    client.force_login(member)
    with committed():
        client.post("/account/your-data/")
    export = DataExport.objects.get(user=member)
    response = client.get(f"/account/your-data/{export.pk}/download/")
    assert response.status_code == 200 and ".json" in response["Content-Disposition"]
    data = json.loads(b"".join(response.streaming_content))
    assert data["profile"]["full_name"] == "Ada Lovelace"
    assert data["memberships"] == [] and data["digests_sent_to_you"] == []


def test_two_factor_facts_are_in_it_but_never_the_secret(client, committed):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    member = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    client.force_login(member)
    with committed():
        client.post("/account/your-data/")
    export = DataExport.objects.get(user=member)
    body = b"".join(client.get(f"/account/your-data/{export.pk}/download/").streaming_content).decode()
    data = json.loads(body)
    assert data["two_factor_authentication"][0]["type"] == Authenticator.Type.TOTP.label
    assert secret not in body and "secret" not in body


def test_only_its_owner_signed_in_can_download_it(client, person, committed):
    with committed():
        export = services.data_export_request(user=person.user, by=person.user)
    path = f"/account/your-data/{export.pk}/download/"

    assert client.get(path)["Location"].startswith("/account/login/")
    client.force_login(UserFactory())
    assert client.get(path).status_code == 404
    client.force_login(person.user)
    assert client.get(path).status_code == 200


def test_nobody_else_can_ask_for_it():
    owner, other = UserFactory(), UserFactory()
    with pytest.raises(services.NotAllowed):
        services.data_export_request(user=owner, by=other)
    assert not DataExport.objects.exists()


def test_the_link_stops_working_after_7_days_and_the_file_is_deleted(client, person, committed):
    client.force_login(person.user)
    with committed():
        client.post("/account/your-data/")
    export = DataExport.objects.get(user=person.user)
    stored = export.file.name
    assert default_storage.exists(stored)

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)), committed():
        response = client.get(f"/account/your-data/{export.pk}/download/")
        assert response.status_code == 410
        assert "This download is not available" in response.content.decode()
        assert "Expired" in client.get("/account/").content.decode()
    export.refresh_from_db()
    assert export.status == DataExport.Status.EXPIRED and not export.file
    assert not default_storage.exists(stored)


def test_the_periodic_task_deletes_expired_files(person, committed):
    with committed():
        export = services.data_export_request(user=person.user, by=person.user)
    export.refresh_from_db()
    stored = export.file.name
    assert tasks.expire_data_exports() == 0
    with time_machine.travel(timezone.now() + timedelta(days=8)), committed():
        assert tasks.expire_data_exports() == 1
    assert not default_storage.exists(stored)
    assert DataExport.objects.get().status == DataExport.Status.EXPIRED


def test_one_at_a_time_while_a_copy_is_being_prepared(client, person):
    DataExport.objects.create(user=person.user)  # a worker has not got to it yet
    client.force_login(person.user)
    page = client.get("/account/").content.decode()
    assert "Being prepared" in page and "Request a copy of your data</button>" not in page and "Request a new copy" not in page

    response = client.post("/account/your-data/", follow=True)
    assert "already preparing a copy" in response.content.decode()
    assert DataExport.objects.filter(user=person.user).count() == 1


def test_a_copy_stuck_for_over_an_hour_no_longer_blocks_a_new_one(person, committed):
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        stuck = DataExport.objects.create(user=person.user)
    with committed():
        fresh = services.data_export_request(user=person.user, by=person.user)
    fresh.refresh_from_db()
    assert fresh.status == DataExport.Status.READY
    # Only the newest copy is kept.
    assert not DataExport.objects.filter(pk=stuck.pk).exists()


def test_a_new_copy_replaces_the_old_one(client, person, committed):
    with committed():
        first = services.data_export_request(user=person.user, by=person.user)
    first.refresh_from_db()
    old_file = first.file.name
    with committed():
        second = services.data_export_request(user=person.user, by=person.user)
    assert list(DataExport.objects.filter(user=person.user)) == [second]
    assert not default_storage.exists(old_file)

    client.force_login(person.user)
    page = client.get("/account/").content.decode()
    assert "Ready" in page and f"/account/your-data/{second.pk}/download/" in page
    assert client.get(f"/account/your-data/{first.pk}/download/").status_code == 404


def test_running_the_task_twice_builds_it_once(person, committed):
    with committed():
        export = services.data_export_request(user=person.user, by=person.user)
    export.refresh_from_db()
    sent = len(mail.outbox)
    tasks.build_data_export(export.pk)
    assert len(mail.outbox) == sent
    assert DataExport.objects.get().file.name == export.file.name


def test_a_failed_build_says_so_and_lets_the_person_ask_again(client, person, settings, committed):
    settings.PERSONAL_DATA_PROVIDERS = [*settings.PERSONAL_DATA_PROVIDERS, "tests.accounts.broken_provider"]
    client.force_login(person.user)
    with committed():
        client.post("/account/your-data/")
    assert DataExport.objects.get().status == DataExport.Status.FAILED
    page = client.get("/account/").content.decode()
    assert "Could not be prepared" in page and "Request a new copy of your data" in page


def test_opening_the_request_address_goes_to_the_account_page(client):
    client.force_login(UserFactory())
    response = client.get("/account/your-data/")
    assert response.status_code == 302 and response["Location"] == "/account/#your-data"
    assert not DataExport.objects.exists()


def test_a_link_to_a_copy_still_being_prepared_says_so(client):
    member = UserFactory()
    export = DataExport.objects.create(user=member)
    client.force_login(member)
    response = client.get(f"/account/your-data/{export.pk}/download/")
    assert response.status_code == 200 and "Your data is not ready yet" in response.content.decode()
