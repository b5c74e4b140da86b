"""Redis down: the cache and the Celery broker both point at a closed local port.

Pages answer as usual, sign-in (and the other credential checks) pauses with a clear page,
changes that commit answer as usual, and what they queued waits in the database for the sweeps
once the broker is back. A second set of tests has the cache down but the broker up.
"""

import logging
import re
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
import redis
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

import resilience.broker
import resilience.cache
from accounts import tasks as account_tasks
from accounts.middleware import CREDENTIAL_PAGES
from accounts.models import DataExport, User
from anchors.models import Membership
from config.celery import app as celery_app
from network import ledger
from network import tasks as network_tasks
from network.models import Delivery, Digest
from outbox.models import OutgoingEmail
from outbox.tasks import sweep_outbox
from resilience.broker import safe_delay
from resilience.cache import ForgivingRedisCache
from tests.anchors.factories import OrganisationFactory, admin_of, coordinator, member_of
from tests.casestudies.factories import PublishedCaseStudyFactory
from tests.factories import PASSWORD, UserFactory
from tests.network.factories import GroupFactory

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused
PAUSED = "Sign-in is briefly unavailable"

pytestmark = pytest.mark.django_db


def forgiving_cache(location: str) -> dict:
    return {"default": {"BACKEND": "resilience.cache.ForgivingRedisCache", "LOCATION": location}}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = forgiving_cache(CLOSED)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _use_broker(url: str | None, *, eager: bool) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    # Celery keeps its connection pools: drop them so the next publish connects to `url`.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down(monkeypatch):
    before = celery_app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own setting (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", CLOSED)
    _use_broker(CLOSED, eager=False)
    yield
    monkeypatch.undo()
    _use_broker(before, eager=True)


def broker_back() -> None:
    """The broker answers again (in these tests: tasks run in-process, as in every other test)."""
    celery_app.conf.task_always_eager = True


@pytest.fixture
def redis_down(cache_down, broker_down):
    """The cache and the broker both down, as when the one Redis behind them stops."""


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Pages ---------------------------------------------------------------------------------------


def test_pages_answer_while_redis_is_down(redis_down, client):
    story = PublishedCaseStudyFactory(title="Local food in hospitals")
    group = GroupFactory()
    pages = (
        reverse("home"),
        reverse("casestudies:list"),
        reverse("casestudies:list") + "?q=food",
        story.get_absolute_url(),
        reverse("anchors:directory"),
        group.get_absolute_url(),
    )
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
    assert "Local food in hospitals" in client.get(reverse("casestudies:list")).content.decode()
    member = signed_in(member_of(OrganisationFactory()))
    assert member.get(reverse("casestudies:list")).status_code == 200
    assert member.get(group.get_absolute_url()).status_code == 200


# --- Sign-in pauses --------------------------------------------------------------------------------


def test_sign_in_pauses_with_a_clear_page_and_signs_nobody_in(redis_down, client):
    person = UserFactory()
    assert client.get(reverse("account_login")).status_code == 200
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    page = response.content.decode()
    assert PAUSED in page and "Try again in a few minutes" in page
    assert "_auth_user_id" not in client.session
    assert not client.get(reverse("accounts:profile")).wsgi_request.user.is_authenticated


def test_password_reset_pauses_and_sends_nothing(redis_down, client):
    person = UserFactory()
    response = client.post(reverse("account_reset_password"), {"email": person.email})
    assert response.status_code == 503
    assert PAUSED in response.content.decode()
    assert not OutgoingEmail.objects.exists()


def test_deleting_an_account_pauses_too_and_deletes_nothing(redis_down):
    person = UserFactory()
    response = signed_in(person).post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 503
    assert PAUSED in response.content.decode()
    assert User.objects.filter(pk=person.pk).exists()


def view_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= view_names(pattern.url_patterns, inner)
        elif pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_paused_page_is_one_of_the_site_s_pages():
    """A renamed page would silently escape the pause."""
    assert not CREDENTIAL_PAGES - view_names(get_resolver().url_patterns)


def test_sign_in_works_while_the_cache_answers(client):
    person = UserFactory()
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


@pytest.mark.django_db(transaction=True)
def test_a_live_server_pauses_sign_in_and_serves_pages(redis_down, live_server):
    # A real server thread and real sockets: the pages answer without the cache, not just the views.
    person = UserFactory()
    browser = build_opener(HTTPCookieProcessor(CookieJar()))
    for path in (reverse("home"), reverse("casestudies:list")):
        assert browser.open(live_server.url + path, timeout=10).status == 200
    login = browser.open(live_server.url + reverse("account_login"), timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    form = urlencode({"csrfmiddlewaretoken": token, "login": person.email, "password": PASSWORD}).encode()
    with pytest.raises(HTTPError) as answer:
        browser.open(Request(live_server.url + reverse("account_login"), data=form), timeout=10)  # noqa: S310 (http to the test server)
    assert answer.value.code == 503
    assert PAUSED in answer.value.read().decode()


# --- Changes commit, answer as usual, and their queued work waits for the sweeps ----------------------


def test_a_join_request_answers_as_usual_and_its_emails_wait_for_the_broker(redis_down):
    organisation = OrganisationFactory()
    admins = [admin_of(organisation), admin_of(organisation)]
    person = UserFactory(email="someone@elsewhere.example")
    client = signed_in(person)
    response = client.post(reverse("anchors:join", args=[organisation.slug]), {"reason": "I buy locally."})
    assert response.status_code == 302
    assert response.url == organisation.get_absolute_url()
    assert Membership.objects.filter(
        user=person, organisation=organisation, status=Membership.Status.REQUESTED
    ).exists()
    waiting = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED)
    assert sorted(waiting.values_list("to", flat=True)) == sorted(admin.email for admin in admins)

    broker_back()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep_outbox() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(admin.email for admin in admins)


def test_send_now_answers_as_usual_and_the_sweep_sends_the_digest(redis_down, django_capture_on_commit_callbacks):
    people = [member_of(OrganisationFactory()) for _ in range(3)]
    digest = Digest.objects.create(kind=Digest.Kind.COORDINATOR, subject="News", introduction="Hello.")
    client = signed_in(coordinator())
    assert client.get(reverse("network:digest_send", args=[digest.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("network:digest_send", args=[digest.pk]))
    assert response.status_code == 302
    assert response.url == digest.get_absolute_url()
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING
    assert digest.deliveries.filter(status=Delivery.Status.QUEUED).count() == len(people)
    assert mail.outbox == []

    broker_back()
    ledger.dispatch_due(queue=network_tasks.queue_chunk, now=timezone.now() + ledger.LEASE + timedelta(seconds=1))
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_a_data_export_waits_for_the_broker_and_is_queued_again(redis_down, django_capture_on_commit_callbacks):
    person = UserFactory()
    client = signed_in(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:data_export_request"))
    assert response.status_code == 302
    export = DataExport.objects.get(user=person)
    assert export.status == DataExport.Status.PREPARING

    broker_back()
    assert account_tasks.requeue_data_exports() == 0  # too recent: its task may still be coming
    DataExport.objects.filter(pk=export.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert account_tasks.requeue_data_exports() == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY


def test_safe_delay_reports_a_broker_it_cannot_reach_and_then_rests(broker_down, caplog, monkeypatch):
    monkeypatch.setattr(resilience.broker, "_resting_until", {})  # forget earlier tests' failures
    caplog.set_level(logging.INFO, logger="resilience.broker")
    assert safe_delay(account_tasks.requeue_data_exports) is False
    assert "Could not queue accounts.requeue_data_exports" in caplog.text
    caplog.clear()
    assert safe_delay(account_tasks.requeue_data_exports) is False
    assert "unreachable a moment ago" in caplog.text


# --- The cache down, the broker up -----------------------------------------------------------------


def test_rate_limited_actions_other_than_sign_in_still_work(cache_down, client, django_capture_on_commit_callbacks):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.person@example.org",
            "password1": "a long and unusual passphrase 42",
            "password2": "a long and unusual passphrase 42",
            "full_name": "New Person",
            "job_title": "Estates lead",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.filter(email="new.person@example.org").exists()

    person = UserFactory()
    member = signed_in(person)
    response = member.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "another long passphrase 77", "password2": "another long passphrase 77"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("another long passphrase 77")


# --- The cache itself --------------------------------------------------------------------------------


def test_the_cache_answers_nothing_cached_and_warns_once_a_minute(cache_down, caplog, monkeypatch):
    monkeypatch.setattr(resilience.cache, "REST_SECONDS", 0)  # try Redis on every call
    monkeypatch.setattr(resilience.cache, "_last_warning", 0.0)
    caplog.set_level(logging.WARNING, logger="resilience.cache")
    assert cache.get("missing", "default") == "default"
    assert cache.get_or_set("counted", lambda: 7) == 7
    assert cache.add("lock", 1) is True
    assert cache.set("page", "<html>") is None
    assert cache.delete("page") is False
    assert cache.get_many(["a", "b"]) == {}
    with pytest.raises(ValueError):
        cache.incr("version")
    assert cache.reachable() is False
    assert len(caplog.records) == 1
    assert "cannot be reached" in caplog.records[0].getMessage()


def test_a_hung_redis_costs_one_short_timeout_not_one_per_read():
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)  # connections complete, but nothing ever answers
    try:
        forgiving = ForgivingRedisCache(f"redis://127.0.0.1:{hung.getsockname()[1]}/0", {})
        started = time.monotonic()
        for n in range(10):
            assert forgiving.get(f"key-{n}") is None
        # Each read would wait 0.5 s; after the first, the cache leaves Redis alone for a while.
        assert time.monotonic() - started < 3
        assert forgiving.reachable() is False
    finally:
        hung.close()


@pytest.fixture
def own_redis():
    """A Redis server of this test's own, on a free port, with nothing saved to disk."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_delete_lost_while_redis_was_away_happens_once_it_is_back(own_redis, monkeypatch):
    url, admin = own_redis
    monkeypatch.setattr(resilience.cache, "REST_SECONDS", 0)
    forgiving = ForgivingRedisCache(url, {})
    forgiving.set("summary", "old counts")
    forgiving.set("version", 41)
    assert forgiving.reachable() is True

    admin.client_pause(1500)  # Redis keeps its data but answers nothing: a network break
    forgiving.delete("summary")  # e.g. a publish retiring the counts
    with pytest.raises(ValueError):
        forgiving.incr("version")
    time.sleep(1.6)

    assert forgiving.get("unrelated") is None  # Redis answers again: the lost changes are made
    assert forgiving.get("summary") is None
    assert forgiving.get("version") is None
