"""The web process's gunicorn settings, as the Dockerfile and compose run them."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

from gunicorn.config import Config

ROOT = Path(__file__).resolve().parent.parent


def loaded(monkeypatch, **env) -> Config:
    for name in ("WEB_CONCURRENCY", "DB_NO_PARALLEL_QUERY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(ROOT / "config" / "gunicorn.py")).items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_it_runs_a_worker_per_core_plus_one_with_graceful_restarts(monkeypatch):
    config = loaded(monkeypatch)
    assert config.workers == len(os.sched_getaffinity(0)) + 1
    assert config.max_requests > 0 and config.max_requests_jitter > 0
    assert config.timeout == 30 and config.graceful_timeout == 30
    assert config.accesslog == "-"


def test_replicas_share_no_control_socket(monkeypatch):
    assert loaded(monkeypatch).control_socket_disable is True


def test_the_environment_can_set_the_workers(monkeypatch):
    assert loaded(monkeypatch, WEB_CONCURRENCY="7").workers == 7


def test_it_turns_parallel_query_off_for_the_web_only(monkeypatch):
    loaded(monkeypatch)
    assert os.environ["DB_NO_PARALLEL_QUERY"] == "true"
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}
    web = subprocess.run([sys.executable, "-c", code], env={**base, "DB_NO_PARALLEL_QUERY": "true"},  # noqa: S603
                         capture_output=True, text=True, check=True, cwd=ROOT)
    base.pop("DB_NO_PARALLEL_QUERY", None)
    worker = subprocess.run([sys.executable, "-c", code], env=base,  # noqa: S603
                            capture_output=True, text=True, check=True, cwd=ROOT)
    assert web.stdout.strip() == "-c max_parallel_workers_per_gather=0"
    assert worker.stdout.strip() == ""
