import pytest
from django.core.cache import cache

from .factories import UserFactory


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
