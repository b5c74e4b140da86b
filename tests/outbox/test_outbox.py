"""The outbox: transactional email stored as rows, sent once, kept through a broker outage."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.mail import forget_address, queue_email
from outbox import sending
from outbox.models import OutgoingEmail
from outbox.services import outbox_add
from outbox.tasks import send_outbox, sweep_outbox

from . import smtpserver

Status = OutgoingEmail.Status


@pytest.fixture
def note_templates(settings):
    """A small email of our own, so these tests do not depend on any app's wording."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "notes/note_subject.txt": "A note for {{ name }}\n",
                            "notes/note.txt": "Hello {{ name }}, see {{ SITE_URL }}/notes/",
                            "notes/note.html": "<p>Hello {{ name }}</p>",
                        },
                    )
                ]
            },
        }
    ]


def queue_note(to, name="Ada"):
    queue_email(to=to, template_prefix="notes/note", context={"name": name})


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free port, used by Django's SMTP backend."""
    controller, server = smtpserver.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    controller.stop()


@pytest.fixture
def broker_down(settings):
    """Celery publishes to a closed port instead of running tasks in-process."""
    from config.celery import app

    saved = app.conf.broker_write_url, app.conf.task_always_eager

    def use(broker_url, eager):
        app.conf.broker_write_url = broker_url  # the URL tasks are published to
        app.conf.task_always_eager = eager
        settings.CELERY_TASK_ALWAYS_EAGER = eager
        # Connections are pooled per broker URL; start again from the one just set.
        app._pool = None
        app.amqp._producer_pool = None

    use("redis://127.0.0.1:1/0", False)
    yield
    use(*saved)


def stored(**filters):
    return list(OutgoingEmail.objects.filter(**filters).order_by("pk"))


# --- Writing rows with the caller's transaction -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_stores_one_row_per_recipient_and_sends_each_once_committed(note_templates):
    with transaction.atomic():
        queue_note(["ada@trust.example", "grace@trust.example"])
        assert [e.status for e in stored()] == [Status.QUEUED, Status.QUEUED]
        assert mail.outbox == []  # nothing goes before the change is committed

    assert sorted(m.to[0] for m in mail.outbox) == ["ada@trust.example", "grace@trust.example"]
    message = mail.outbox[0]
    assert message.subject == "A note for Ada"
    assert "Hello Ada, see http" in message.body
    assert message.alternatives == [("<p>Hello Ada</p>", "text/html")]
    assert message.extra_headers["Message-ID"].startswith("<outbox-")
    rows = stored()
    assert [(e.status, e.attempts) for e in rows] == [(Status.SENT, 1), (Status.SENT, 1)]
    assert all(e.sent_at and e.claimed_until is None for e in rows)
    # Once delivered the bodies go: they can hold sign-in and reset links.
    assert all(e.text == e.html == "" for e in rows)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_stored_or_sent_when_the_transaction_rolls_back(note_templates):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_note("ada@trust.example")
        raise RuntimeError("the change failed")

    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_caller_headers_are_kept(note_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            to="ada@trust.example",
            template_prefix="notes/note",
            context={"name": "Ada"},
            headers={"List-Unsubscribe": "<https://example.org/u/1>"},
        )
    (message,) = mail.outbox
    assert message.extra_headers["List-Unsubscribe"] == "<https://example.org/u/1>"


# --- Sending exactly once ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_row_is_sent_once_when_its_task_runs_twice(note_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queue_note("ada@trust.example")
    ids = [e.pk for e in stored()]

    assert send_outbox(ids) == 1
    assert send_outbox(ids) == 0  # a retry or a second delivery of the same task

    assert len(mail.outbox) == 1
    (email,) = stored()
    assert (email.status, email.attempts) == (Status.SENT, 1)


@pytest.mark.django_db
def test_rows_held_by_another_sender_are_left_alone_until_its_lease_runs_out(
    note_templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        queue_note(["ada@trust.example", "grace@trust.example"])
    ids = [e.pk for e in stored()]
    # A worker claims the rows and is killed before it sends anything.
    assert sending.claim(ids) == ids

    assert send_outbox(ids) == 0  # the task redelivered at once: the lease still holds
    assert sweep_outbox() == 0
    assert mail.outbox == []

    with time_machine.travel(timezone.now() + sending.LEASE + timedelta(seconds=1)):
        assert sweep_outbox() == 2  # the lease ran out: queued again and sent
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@trust.example", "grace@trust.example"]
    assert [(e.status, e.attempts) for e in stored()] == [(Status.SENT, 2), (Status.SENT, 2)]


@pytest.mark.django_db
def test_a_row_whose_sender_keeps_dying_is_given_up(note_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queue_note("ada@trust.example")
    (email,) = stored()
    OutgoingEmail.objects.filter(pk=email.pk).update(attempts=sending.MAX_ATTEMPTS - 1)
    sending.claim([email.pk])

    assert sending.sweep(now=timezone.now() + sending.LEASE + timedelta(seconds=1)) == []
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.last_error.startswith(f"Gave up after {sending.MAX_ATTEMPTS} attempts")
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_batch_goes_over_one_smtp_connection(smtp, note_templates, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_note(["a@trust.example", "b@trust.example", "c@trust.example"])

    assert sorted(smtp.to()) == ["a@trust.example", "b@trust.example", "c@trust.example"]
    assert smtp.sessions == 1
    assert {e.status for e in stored()} == {Status.SENT}
    assert len({m["Message-ID"] for m in smtp.messages}) == 3


@pytest.mark.django_db
def test_a_long_batch_renews_its_lease_so_nobody_takes_it_over(
    settings, note_templates, django_capture_on_commit_callbacks
):
    from . import mailbackends

    settings.EMAIL_BACKEND = "tests.outbox.mailbackends.LeaseWatchingBackend"
    mailbackends.LEASES_SEEN.clear()
    with django_capture_on_commit_callbacks(execute=False):
        queue_note(["a@trust.example", "b@trust.example"])
    ids = [e.pk for e in stored()]
    claimed_at = timezone.now()
    sending.claim(ids, now=claimed_at)

    # The server was slow: most of the lease has gone before the batch starts sending.
    late = claimed_at + sending.LEASE * 0.75
    with time_machine.travel(late, tick=False):
        assert sending.send_claimed(ids) == 2

    first, second = mailbackends.LEASES_SEEN
    assert first["a@trust.example"] == first["b@trust.example"] == late + sending.LEASE
    assert second == {"b@trust.example": late + sending.LEASE}


# --- SMTP refusals ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried_later_with_backoff(
    smtp, note_templates, django_capture_on_commit_callbacks
):
    smtp.busy.add("busy@trust.example")
    with django_capture_on_commit_callbacks(execute=True):
        queue_note(["busy@trust.example", "ada@trust.example"])

    busy, ada = stored()
    assert ada.status == Status.SENT
    assert (busy.status, busy.attempts) == (Status.QUEUED, 1)
    assert "451 4.3.0 Mailbox busy" in busy.last_error
    assert busy.next_attempt_at > timezone.now()
    assert smtp.to() == ["ada@trust.example"]

    # Not yet due: the sweep leaves it, and a stray task does not send it early.
    with time_machine.travel(busy.next_attempt_at - timedelta(seconds=5)):
        assert sweep_outbox() == 0
        assert send_outbox([busy.pk]) == 0

    smtp.busy.clear()
    with time_machine.travel(busy.next_attempt_at + timedelta(seconds=1)):
        assert sweep_outbox() == 1
    busy.refresh_from_db()
    assert (busy.status, busy.attempts) == (Status.SENT, 2)
    assert sorted(smtp.to()) == ["ada@trust.example", "busy@trust.example"]


@pytest.mark.django_db
def test_retries_stop_after_the_last_attempt_with_the_reason(
    smtp, note_templates, django_capture_on_commit_callbacks
):
    smtp.busy.add("busy@trust.example")
    with django_capture_on_commit_callbacks(execute=True):
        queue_note("busy@trust.example")
    (email,) = stored()
    for _ in range(sending.MAX_ATTEMPTS - 1):
        email.refresh_from_db()
        assert email.status == Status.QUEUED
        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1)):
            sweep_outbox()

    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, sending.MAX_ATTEMPTS)
    assert email.last_error.startswith(f"Gave up after {sending.MAX_ATTEMPTS} attempts: 451")
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once_with_the_servers_reason(
    smtp, note_templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_note(["refused@trust.example", "ada@trust.example"])

    refused, ada = stored()
    assert (refused.status, refused.attempts) == (Status.FAILED, 1)
    assert refused.last_error == "550 5.1.1 No such person at this address"
    assert ada.status == Status.SENT  # the rest of the batch still goes
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert sweep_outbox() == 0
    assert smtp.to() == ["ada@trust.example"]


@pytest.mark.django_db
def test_an_unreachable_mail_server_leaves_the_rows_queued(
    settings, note_templates, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtpserver.free_port()
    with django_capture_on_commit_callbacks(execute=True):
        queue_note("ada@trust.example")

    (email,) = stored()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert "ConnectionRefusedError" in email.last_error


# --- The broker is down -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_row_waits_and_the_sweep_sends_it(note_templates, broker_down, caplog):
    with transaction.atomic():
        queue_note("ada@trust.example")  # does not raise once committed

    (email,) = stored()
    assert email.status == Status.QUEUED
    assert mail.outbox == []
    assert "the outbox sweep will send them" in caplog.text

    # The broker is back (tasks run in-process again) and the sweep comes round.
    from config.celery import app

    app.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + sending.STALE_AFTER + timedelta(seconds=1)):
        assert sweep_outbox() == 1
        assert sweep_outbox() == 0
    assert [m.to for m in mail.outbox] == [["ada@trust.example"]]


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_with_the_broker_down_answers_and_is_sent_later(client, broker_down):
    from tests.factories import UserFactory

    UserFactory(email="reset@trust.example")
    response = client.post("/account/password/reset/", {"email": "reset@trust.example"})

    assert response.status_code == 302
    (email,) = stored(to="reset@trust.example")
    assert email.status == Status.QUEUED
    assert "/account/password/reset/key/" in email.text
    assert email.html

    from config.celery import app

    app.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + sending.STALE_AFTER + timedelta(seconds=1)):
        sweep_outbox()
    (message,) = mail.outbox
    assert "/account/password/reset/key/" in message.body
    assert message.alternatives[0][1] == "text/html"


# --- allauth's emails --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sign_up_emails_go_through_the_outbox(client):
    response = client.post(
        "/account/signup/",
        {
            "full_name": "Grace Hopper",
            "email": "grace@trust.example",
            "password1": "a-long-pass-phrase-2026",
            "password2": "a-long-pass-phrase-2026",
        },
    )
    assert response.status_code == 302
    (email,) = stored()
    assert (email.to, email.status) == ("grace@trust.example", Status.SENT)
    assert email.subject.endswith("Confirm your email address")
    (message,) = mail.outbox
    assert message.subject == email.subject
    assert "/account/confirm-email/" in message.body


# --- Forgetting a person and pruning -----------------------------------------------------------


@pytest.mark.django_db
def test_forget_address_deletes_every_row_to_the_person_and_nothing_else(
    note_templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_note("ada@trust.example")  # sent
    with django_capture_on_commit_callbacks(execute=False):
        queue_note(["Ada@Trust.example", "grace@trust.example"])  # still queued
    outbox_add(to=["ada@trust.example"], subject="Failed", text="x")
    OutgoingEmail.objects.filter(subject="Failed").update(status=Status.FAILED)

    assert forget_address(" ADA@trust.example") == 3

    assert [e.to for e in stored()] == ["grace@trust.example"]
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        sweep_outbox()
    assert [m.to for m in mail.outbox] == [["grace@trust.example"]]
    assert forget_address("nobody@trust.example") == 0


@pytest.mark.django_db
def test_the_sweep_prunes_finished_rows_after_thirty_days(note_templates, django_capture_on_commit_callbacks):
    with time_machine.travel(timezone.now() - sending.KEEP_FOR - timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            queue_note(["old@trust.example", "refused@trust.example"])
        OutgoingEmail.objects.filter(to="refused@trust.example").update(status=Status.FAILED)
        with django_capture_on_commit_callbacks(execute=False):
            queue_note("stuck@trust.example")
    with django_capture_on_commit_callbacks(execute=True):
        queue_note("new@trust.example")

    sweep_outbox()

    # Old sent and failed rows go; the stuck one is sent now; recent ones stay.
    assert sorted((e.to, e.status) for e in stored()) == [
        ("new@trust.example", Status.SENT),
        ("stuck@trust.example", Status.SENT),
    ]


def test_the_worker_knows_the_outbox_tasks():
    """A real worker registers tasks from each installed app's tasks.py."""
    from config.celery import app

    app.loader.import_default_modules()
    assert {"outbox.send", "outbox.sweep"} <= set(app.tasks)
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]["task"] == "outbox.sweep"
