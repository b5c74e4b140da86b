import pytest
from django.core.cache import cache

from .factories import UserFactory


def pytest_configure(config):
    from django.conf import settings

    # Hashing a factory person's password the production way costs ~0.3 s each; tests only
    # need passwords to check, not to resist attack.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and role caches count in the cache; every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)
