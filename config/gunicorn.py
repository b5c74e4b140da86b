"""gunicorn settings for the web process (the Dockerfile and docker-compose.yml pass this file).

    gunicorn config.wsgi:application --config config/gunicorn.py

Every figure can be overridden from the environment, so a host with other cores or another
proxy needs no edit here.
"""

import os

# Sync workers, one per core plus one: a page is CPU work in Python (or a cache hit), so more
# workers than cores only queue inside the kernel instead of in the listen backlog.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY", _cores + 1))
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# A request taking longer than this is stuck: its worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# On a restart or a deploy, workers finish the requests they hold for up to this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5

# Replace each worker after about 10,000 requests (jittered so they never all restart at once):
# whatever a worker slowly accumulates is given back, with no request dropped. Not much fewer:
# a cached page takes a few milliseconds and a new worker a second to import Django, so
# restarting every thousand requests stalled a worker every few seconds under load.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10_000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 1_000))

# Logs to stdout/stderr, where docker collects them.
accesslog = "-"
errorlog = "-"

# Worker heartbeats in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented choice

# gunicorn 25+ opens a control socket in $HOME by default. Replicas sharing a home (or a volume
# mounted there) would share one socket and one replica could steer another: none at all.
control_socket_disable = True

# The web's database connections run without parallel query: on a couple of cores, starting
# parallel workers costs a filter page more than they save (see README, "Caching and speed").
# Read by config/settings.py; the Celery worker keeps PostgreSQL's default.
os.environ.setdefault("DB_NO_PARALLEL_QUERY", "true")
