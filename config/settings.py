"""Settings for the Anchors Learning Network.

One module, read from the environment (and from a `.env` file beside manage.py when present).
Every variable is listed with its default in README.md and .env.example.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Values already in the process environment win over the file.
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or in .env) before starting "
            "with DEBUG off; `make run` writes a development .env for you."
        )
    SECRET_KEY = "development-only-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.syndication",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "taggit",
    "csp",
    "outbox",
    "accounts",
    "anchors",
    "evidence",
    "casestudies",
    "network",
    "insight",
    "questions",
    "rest_framework",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.StripNulBytesMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (which may redirect on a language-prefixed path).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.SignInNeedsRateLimitsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.site",
            ],
        },
    },
]

# --- Data ------------------------------------------------------------------------------------

# An empty value (as in .env.example) means "use the default", like an unset one.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Set for the web process by config/gunicorn.py: no parallel query on its connections.
    if env.bool("DB_NO_PARALLEL_QUERY", default=False):
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c max_parallel_workers_per_gather=0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    REDIS_URL = CELERY_BROKER_URL

# allauth's rate limits count in this cache, so every process must share it: Redis whenever
# one is configured. The in-memory cache is only for the single-process `make run`.
# While Redis is down or hung the cache answers "nothing cached" after a short timeout (pages
# stay up) and sign-in pauses with a clear page (see resilience/cache.py).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "resilience.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="anchors"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ----------------------------------------------------------------------------------

CELERY_TIMEZONE = "Europe/London"
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Redis redelivers an unacknowledged task after this many seconds; nothing in the project
# schedules an ETA or countdown anywhere near it (send times are stored and polled by beat).
# A hung broker holds a request for seconds, not forever: connecting gives up after 2 s, and
# any reply overdue by 5 s is an error. The worker's BRPOP waits 1 s on the server, well inside.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The sweeps have a queue of their own, so they never wait behind thousands of digest chunks:
# every worker consumes both (`celery worker -Q celery,sweep`).
CELERY_TASK_ROUTES = {
    "network.dispatch_due_digests": {"queue": "sweep"},
    "outbox.sweep": {"queue": "sweep"},
}
CELERY_BEAT_SCHEDULE: dict = {
    # Starts due digests and sweeps: every 10 s, so rows a dead worker held (a 30 s lease) are
    # sent again within a minute of its death.
    "network-due-digests": {"task": "network.dispatch_due_digests", "schedule": 10.0},
    # Transactional email whose task was lost (broker down) or whose sender died.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": 60.0},
    "network-personal-digests": {
        "task": "network.personal_digests",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    "accounts-expire-data-exports": {"task": "accounts.expire_data_exports", "schedule": 3600.0},
    # Insight tables take seconds to work out on a large network: keep them fresh in the cache.
    "insight-refresh-tables": {"task": "insight.refresh_tables", "schedule": 300.0},
    # Data exports whose build task was lost (broker down when they were asked for).
    "accounts-requeue-data-exports": {"task": "accounts.requeue_data_exports", "schedule": 300.0},
}

# --- Accounts --------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    # Have I Been Pwned's range API: only the first 5 characters of the password's SHA-1 leave
    # the server. When the service cannot be reached it falls back to Django's list of common
    # passwords (fails open), so it replaces CommonPasswordValidator rather than joining it.
    {
        "NAME": "pwned_passwords_django.validators.PwnedPasswordsValidator",
        "OPTIONS": {
            "error_message": gettext_lazy(
                "This password has appeared in a data breach elsewhere, so it is easy to guess. "
                "Choose a different password."
            ),
            "help_message": gettext_lazy("Your password must not be one that has appeared in a data breach."),
        },
    },
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A short timeout: sign-up waits for the answer, and a slow service must not hold it up.
PWNED_PASSWORDS = {"API_TIMEOUT": 1.5, "ADD_PADDING": True}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Anchors Learning Network] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Anchors Learning Network"

# --- Email -----------------------------------------------------------------------------------

vars().update(env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Anchors Learning Network <network@anchors.invalid>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation --------------------------------------------------------------------

# English pages live at /..., Welsh ones at /cy/... (config/urls.py): the language is in the
# URL, so a page is cached, shared and bookmarked in its language, with no cookie involved.
# Paths outside the prefix (health checks, the API, admin, one-click unsubscribe) are English.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# A file missing from the manifest falls back to its plain name instead of failing the page.
WHITENOISE_MANIFEST_STRICT = False
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Security --------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Sessions are read from the cache and written through to the database: a signed-in page skips
# the session query, and while Redis is down (resilience.cache answers "nothing cached") they are
# read from the database as before.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The health checks are probed over plain HTTP from inside the deployment.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# No inline script anywhere: every script is a file served from 'self'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "https://assets.nhs.uk"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Open data API (api/) ---------------------------------------------------------------------

# Read-only and anonymous: nobody signs in to the API, so it can only ever show what a visitor
# sees. Limits count per client address in the default cache, which every process shares.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "api.renderers.CSVRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": env.str("API_RATE", default="120/minute")},
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0 if DEBUG else 1),
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Anchors Learning Network open data",
    "DESCRIPTION": (
        "Published case studies, member organisations, standard measures and published annual "
        "figures from the Anchors Learning Network. Read-only. Contains public sector information "
        "licensed under the Open Government Licence v3.0."
    ),
    "VERSION": "1",
    "LICENSE": {
        "name": "Open Government Licence v3.0",
        "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": False,
}

# --- Logging ---------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Each app's part of a person's data, for "download my data" and "delete my account"
# (see accounts/personal_data.py). accounts cannot import the apps above it, so they register here.
PERSONAL_DATA_PROVIDERS = [
    "anchors.personal_data",
    "evidence.personal_data",
    "casestudies.personal_data",
    "network.personal_data",
    "questions.personal_data",
]

# --- Demo data -------------------------------------------------------------------------------

# `manage.py seed_demo` runs these in order; each app adds the demo content it owns.
SEED_DEMO_STEPS = [
    "accounts.demo.seed",
    "anchors.demo.seed",
    "evidence.demo.seed",
    "casestudies.demo.seed",
    "network.demo.seed",
    "questions.demo.seed",
    "network.home_demo.seed",
]
