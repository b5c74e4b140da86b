import importlib

import pytest
from django.core.cache import cache

from .factories import UserFactory


def pytest_configure(config):
    from django.conf import settings

    # Hashing a factory person's password the production way costs ~0.3 s each; tests only
    # need passwords to check, not to resist attack.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    # Tasks queued by the code under test run in the test's own process, so a test sees their
    # effect (an email in the outbox) without a worker. The real broker and a real worker are
    # exercised by the tests marked `realprocess`, which turn this off with `real_broker`.
    from config.celery import app as celery_app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture
def real_broker():
    """Send tasks to the configured broker (Redis) instead of running them in-process."""
    from django.conf import settings

    from config.celery import app as celery_app

    if not settings.CELERY_BROKER_URL:
        pytest.skip("no CELERY_BROKER_URL configured")
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _breach_service_offline(monkeypatch):
    """Tests never ask the real breached-password service: every password check goes to a
    closed local port and fails open, as it does when the service is down. Tests of the
    validator itself point it at their own stand-in server."""
    from pwned_passwords_django.api import PwnedPasswords

    monkeypatch.setattr(PwnedPasswords, "api_endpoint", "http://127.0.0.1:9/range/")


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request to a Welsh page (/cy/...) leaves Welsh active in the test's thread; every test
    starts in English, as every request and task does."""
    from django.utils import translation

    translation.activate("en-gb")
    yield
    translation.activate("en-gb")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and role caches count in the cache; every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


def load_reference_data() -> None:
    """Transactional tests (live server, real worker) flush every table after each test, which
    takes away the regions, pillars and regional groups the data migrations loaded: put them
    back before each such test."""
    from django.apps import apps

    for module in (
        "anchors.migrations.0002_reference_data",
        "anchors.migrations.0006_shared_email_domains",
        "anchors.migrations.0007_welsh_names",
        "evidence.migrations.0002_reference_data",
        "network.migrations.0002_regional_groups",
    ):
        importlib.import_module(module).load(apps, None)
    importlib.import_module("evidence.migrations.0003_welsh_reference_data").fill_welsh(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_for_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if marker is not None and marker.kwargs.get("transaction"):
        transactional = True
    if transactional:
        request.getfixturevalue("transactional_db")
        load_reference_data()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)
