import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
plain = client.get("/healthz")
secure = client.get("/", secure=True)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "health_plain_status": client.get("/healthz", secure=False).status_code,
    "secure_status": secure.status_code,
    "headers": dict(secure.headers),
    "csrf_secure": __import__("django.conf").conf.settings.CSRF_COOKIE_SECURE,
    "session_secure": __import__("django.conf").conf.settings.SESSION_COOKIE_SECURE,
    "login_cookies": {k: dict(v) for k, v in client.get("/account/login/", secure=True).cookies.items()},
}))
"""


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """With DEBUG off, pages link hashed static files: collect them as a deployment does."""
    static_root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "collect-" + "x" * 50}
    env["STATIC_ROOT"] = str(static_root)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return static_root


def debug_off_env(tmp_path, static_root) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="test-secret-" + "x" * 50,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(static_root),
    )
    return env


def run_with_debug_off(tmp_path, static_root):
    env = debug_off_env(tmp_path, static_root)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_with_debug_off_it_sends_the_security_headers(tmp_path, collected_static):
    result = run_with_debug_off(tmp_path, collected_static)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    # The health probe answers over plain HTTP; everything else redirects to HTTPS.
    assert probe["plain_status"] == 200
    headers = probe["headers"]
    assert probe["secure_status"] == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert probe["csrf_secure"] and probe["session_secure"]
    assert probe["login_cookies"]["csrftoken"]["secure"] is True


def test_with_debug_off_plain_http_pages_redirect_to_https(tmp_path, collected_static):
    env = debug_off_env(tmp_path, collected_static)
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/case-studies/');"
        "p = Client().get('/', HTTP_X_FORWARDED_PROTO='https');"
        "print(json.dumps([r.status_code, r.get('Location', ''), p.status_code]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, location, proxied_status = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 301 and location.startswith("https://testserver/")
    # Behind a proxy that says the request was HTTPS, nothing redirects.
    assert proxied_status == 200


def test_without_a_secret_key_it_refuses_to_start_with_debug_off(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env.update(DEBUG="false", SECRET_KEY="", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_the_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_fails_when_the_database_is_unreachable(client, monkeypatch):
    from config import health

    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == "OperationalError"


@pytest.mark.django_db
def test_the_404_page_is_the_sites_own(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "nhsuk-header" in html


@pytest.mark.django_db
def test_the_403_page_is_the_sites_own(rf):
    from config.errors import permission_denied

    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = permission_denied(request)
    assert response.status_code == 403
    assert "You do not have permission" in response.content.decode()
