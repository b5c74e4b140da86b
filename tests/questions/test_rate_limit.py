"""The per-person limit on questions, counted on the real shared cache (Redis), and what it
does while Redis is down: it counts the stored questions instead, so it neither opens nor shuts."""

from __future__ import annotations

import uuid

import pytest
import redis
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from questions import ratelimit, services
from questions.models import Question
from tests.casestudies.factories import PublishedCaseStudyFactory

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/14"
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def real_cache(settings):
    if not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Our own key prefix: the database is shared, so nothing here clears it.
    settings.CACHES = {"default": {"BACKEND": "resilience.cache.ForgivingRedisCache", "LOCATION": REDIS,
                                   "KEY_PREFIX": f"questions-test-{uuid.uuid4().hex}"}}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {"default": {"BACKEND": "resilience.cache.ForgivingRedisCache", "LOCATION": CLOSED}}


def ask(case_study, asker, text="A question"):
    return services.question_ask(case_study=case_study, message=text, by=asker)


def test_the_sixth_question_in_an_hour_is_refused_on_redis(real_cache, case_study, asker):
    for n in range(ratelimit.PER_HOUR):
        ask(case_study, asker, f"Question {n}")
    with pytest.raises(services.TooManyQuestions, match="in the last hour"):
        ask(case_study, asker)
    assert Question.objects.count() == ratelimit.PER_HOUR


def test_the_limit_is_per_person(real_cache, case_study, asker):
    from tests.anchors.factories import OrganisationFactory, member_of

    for _ in range(ratelimit.PER_HOUR):
        ask(case_study, asker)
    ask(case_study, member_of(OrganisationFactory()))  # someone else still may


def test_the_day_limit_holds_across_hours(real_cache, case_study, asker, monkeypatch):
    monkeypatch.setattr(ratelimit, "PER_HOUR", 100)
    with time_machine.travel(timezone.now().replace(hour=1, minute=0), tick=False) as traveller:
        for n in range(ratelimit.PER_DAY):
            if n % 5 == 0:
                traveller.shift(3600)
            ask(case_study, asker)
        with pytest.raises(services.TooManyQuestions, match="today"):
            ask(case_study, asker)


def test_the_page_answers_the_limit_in_the_form_keeping_the_text(real_cache, client, case_study, asker, monkeypatch):
    monkeypatch.setattr(ratelimit, "PER_HOUR", 1)
    client.force_login(asker)
    url = reverse("questions:ask", args=[case_study.slug])
    assert client.post(url, {"message": "First"}).status_code == 302
    response = client.post(url, {"message": "Second, typed with care"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in html and "in the last hour" in html and "Second, typed with care" in html
    assert Question.objects.count() == 1


def test_while_redis_is_down_the_stored_questions_are_counted(cache_down, case_study, asker, sent):
    for _ in range(ratelimit.PER_HOUR):
        sent(lambda: ask(case_study, asker))
    assert len(mail.outbox) == ratelimit.PER_HOUR  # asking works during the outage
    with pytest.raises(services.TooManyQuestions):
        ask(case_study, asker)


def test_while_redis_is_down_the_day_limit_counts_the_stored_questions_too(cache_down, case_study, asker):
    earlier = timezone.now() - timezone.timedelta(hours=3)
    Question.objects.bulk_create(
        Question(asker=asker, case_study=case_study, message="x", asked_at=earlier) for _ in range(ratelimit.PER_DAY)
    )
    with pytest.raises(services.TooManyQuestions, match="today"):
        ask(case_study, asker)


def test_a_case_study_page_answers_while_redis_is_down(cache_down, client):
    case_study = PublishedCaseStudyFactory(contact_name="Pat", contact_email="pat@trust.example")
    html = client.get(case_study.get_absolute_url()).content.decode()
    assert reverse("questions:ask", args=[case_study.slug]) in html
