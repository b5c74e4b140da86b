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
# A page that reads no table: the probe runs against an empty database.
secure = client.get("/cookies/", secure=True)
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
        "p = Client().get('/cookies/', HTTP_X_FORWARDED_PROTO='https');"
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


# --- Forms rendered with the design system's includes ----------------------------------------


def render_field(form, name: str) -> str:
    from django.template import Context, Template

    return Template("{% load nhsuk %}{% nhsuk_field field %}").render(Context({"field": form[name]}))


def render_summary(form) -> str:
    from django.template import Context, Template

    return Template("{% load nhsuk %}{% nhsuk_error_summary form %}").render(Context({"form": form}))


class HintedForm(__import__("django").forms.Form):
    from django import forms as _forms

    title = _forms.CharField(help_text="Tags in use: <b id=x>")
    pillars = _forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")],
        widget=_forms.CheckboxSelectMultiple,
        help_text="Pick <b id=x>",
    )


def test_help_text_is_escaped_in_every_kind_of_field():
    form = HintedForm()
    for name in ("title", "pillars"):
        html = render_field(form, name)
        assert "<b id=x>" not in html
        assert "&lt;b id=x&gt;" in html


def test_help_text_a_form_marks_safe_keeps_its_markup():
    from django.utils.safestring import mark_safe

    form = HintedForm()
    form.fields["title"].help_text = mark_safe("<ul><li>Rule</li></ul>")  # noqa: S308
    assert "<ul><li>Rule</li></ul>" in render_field(form, "title")


def test_an_optional_field_says_optional_once_even_when_its_label_already_does():
    from anchors.forms import ReasonForm

    already = ReasonForm(label="Reason (optional)", required=False)
    plain = ReasonForm(label="Reason", required=False)
    required = ReasonForm(label="Reason")
    assert render_field(already, "reason").count("(optional)") == 1
    assert render_field(plain, "reason").count("(optional)") == 1
    assert "(optional)" not in render_field(required, "reason")


class RequiredForm(__import__("django").forms.Form):
    from django import forms as _forms

    reason = _forms.CharField(label="Reason", widget=_forms.Textarea)
    region = _forms.ChoiceField(label="Region", choices=[("", "Choose"), ("y63", "North East")])
    pillar = _forms.ChoiceField(
        label="Pillar", choices=[("a", "A"), ("b", "B")], widget=_forms.RadioSelect
    )
    ods_code = _forms.CharField(label="ODS code")
    title = _forms.CharField(label="Title", error_messages={"required": "Enter a title for it"})


def test_required_errors_name_the_field_in_the_summary_and_beside_it():
    form = RequiredForm(data={"region": "atlantis"})
    assert not form.is_valid()
    summary = render_summary(form)
    expected = [
        "Enter reason",
        "Select one of the options shown for region",
        "Select pillar",
        "Enter ODS code",
        "Enter a title for it",  # a form's own wording is kept
    ]
    for message in expected:
        assert message in summary
    assert "This field is required" not in summary and "valid choice" not in summary
    assert "Enter reason" in render_field(form, "reason")
    assert "Select pillar" in render_field(form, "pillar")
    assert "Select region" in render_field(RequiredForm(data={}), "region")


@pytest.mark.django_db
def test_the_decline_page_says_optional_once(client):
    from tests.anchors.factories import OrganisationFactory, admin_of, join_request

    organisation = OrganisationFactory()
    request = join_request(organisation)
    client.force_login(admin_of(organisation))
    response = client.get(f"/members/{organisation.slug}/requests/{request.pk}/decline/")
    assert response.status_code == 200
    assert "Reason (optional)" in response.content.decode()
    assert "(optional) (optional)" not in response.content.decode()


@pytest.mark.django_db
def test_a_page_whose_form_has_errors_has_a_title_starting_error(client):
    import re

    def title(response) -> str:
        return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()

    assert not title(client.get("/account/signup/")).startswith("Error:")
    failed = client.post("/account/signup/", {})
    assert failed.status_code == 200
    assert title(failed).startswith("Error: ")
    html = failed.content.decode()
    assert '<a href="#id_email">Enter email</a>' in html  # in the summary
    assert '<span class="nhsuk-u-visually-hidden">Error: </span>Enter email</span>' in html  # beside it


@pytest.mark.django_db
def test_a_title_that_already_says_error_is_not_prefixed_twice(client):
    from tests.anchors.factories import coordinator

    client.force_login(coordinator())
    response = client.post("/digests/new/", {})
    assert response.status_code == 200
    assert "<title>Error: " in response.content.decode()
    assert "Error: Error:" not in response.content.decode()


# --- Breached passwords ------------------------------------------------------------------------


class RangeAPI:
    """A stand-in for Have I Been Pwned's range API on a local port: it knows one breached
    password and answers the k-anonymity query (first five hex digits of the SHA-1) with
    suffix:count lines, as the real one does."""

    def __init__(self, breached: str):
        import hashlib
        import http.server
        import threading

        digest = hashlib.sha1(breached.encode(), usedforsecurity=False).hexdigest().upper()
        self.requested: list[str] = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                prefix = self.path.rsplit("/", 1)[-1]
                api.requested.append(prefix)
                lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:1"]
                if prefix == digest[:5]:
                    lines.append(f"{digest[5:]}:3861493")
                body = "\r\n".join(lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/range/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def range_api(monkeypatch):
    from pwned_passwords_django.api import PwnedPasswords

    api = RangeAPI(breached="Summer-Holiday-2019!")
    # The library's endpoint is a class attribute, not a setting: point it at the local server.
    monkeypatch.setattr(PwnedPasswords, "api_endpoint", api.url)
    yield api
    api.close()


@pytest.fixture
def unreachable_api(monkeypatch):
    import socket

    from pwned_passwords_django.api import PwnedPasswords

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now: the connection is refused.
    monkeypatch.setattr(PwnedPasswords, "api_endpoint", f"http://127.0.0.1:{port}/range/")


def test_a_breached_password_is_refused_when_the_service_answers(range_api):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password("Summer-Holiday-2019!")
    assert "appeared in a data breach" in " ".join(refused.value.messages)
    validate_password("a-long-pass-phrase-nobody-has-2026")
    # Only the first five characters of the hash were sent.
    assert range_api.requested and all(len(prefix) == 5 for prefix in range_api.requested)


@pytest.mark.django_db
def test_signing_up_with_a_breached_password_shows_the_refusal(client, range_api):
    response = client.post(
        "/account/signup/",
        {
            "full_name": "Aisha Bello",
            "email": "aisha@nhs.example",
            "password1": "Summer-Holiday-2019!",
            "password2": "Summer-Holiday-2019!",
        },
    )
    assert response.status_code == 200
    assert "appeared in a data breach" in response.content.decode()
    from accounts.models import User

    assert not User.objects.filter(email="aisha@nhs.example").exists()


def test_when_the_service_cannot_be_reached_passwords_are_accepted_but_common_ones_are_not(
    unreachable_api,
):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    validate_password("Summer-Holiday-2019!")  # fails open: the service is down
    with pytest.raises(ValidationError):
        validate_password("password123")  # Django's list of common passwords still applies


# --- The case study list on a phone ----------------------------------------------------------


@pytest.mark.django_db
def test_case_study_search_and_results_come_before_the_filters_which_fold_away(client):
    from tests.anchors.factories import pillar
    from tests.casestudies.factories import PublishedCaseStudyFactory

    PublishedCaseStudyFactory(title="Local food on the wards", pillars=[pillar("purchasing")])
    html = client.get("/case-studies/").content.decode()
    search, result = html.index('id="q"'), html.index("Local food on the wards")
    first_checkbox = html.index('class="nhsuk-checkboxes__input"')
    assert search < result < first_checkbox
    # The filters are in a disclosure, closed until some are chosen.
    details = html[html.index("<details"): html.index("</summary>")]
    assert "Filter case studies" in details and " open" not in details

    filtered = client.get("/case-studies/?pillar=purchasing").content.decode()
    details = filtered[filtered.index("<details"): filtered.index("</summary>")]
    assert " open" in details
    assert 'value="purchasing" checked' in filtered


def test_when_the_service_does_not_answer_the_password_is_accepted_after_the_timeout(monkeypatch):
    import socket

    from django.contrib.auth.password_validation import validate_password
    from pwned_passwords_django.api import PwnedPasswords

    # A server that takes the connection and never replies.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setattr(
            PwnedPasswords, "api_endpoint", f"http://127.0.0.1:{silent.getsockname()[1]}/range/"
        )
        validate_password("Summer-Holiday-2019!")
