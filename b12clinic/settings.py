"""Settings, read from the environment with working local defaults.

Every variable is listed in README.md ("Configuration"). Without any of them the app runs on
SQLite, an embedded Celery broker (kombu's filesystem transport) and console email, all under
VAR_DIR, so `make run` needs no server.
"""

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import environ
from celery.schedules import crontab
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG: bool = env.bool("DEBUG", default=False)
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _refuse_to_start(variable: str, example: str) -> NoReturn:
    # One line on stderr, not a traceback: this is what an operator sees in a crash loop.
    sys.exit(f"B12 Clinic: DEBUG is off, so set the {variable} environment variable ({example}).")


def _development_secret_key() -> str:
    # Kept on disk so sessions survive a restart of `make run`; never used with DEBUG off.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY: str = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        _refuse_to_start("SECRET_KEY", "a long random string, e.g. from `openssl rand -hex 32`")
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        _refuse_to_start("ALLOWED_HOSTS", "comma-separated host names, e.g. clinic.example.org")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "b12clinic.core",
    "plans",
    "monitoring",
    "b12clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "b12clinic.errors.RequestBodyMiddleware",
    "b12clinic.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "b12clinic.core.audit.DeliveredReadsMiddleware",
    "b12clinic.security.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "b12clinic.security.SessionTimeoutMiddleware",
    "b12clinic.security.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it answers a locked-out sign-in before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "b12clinic.urls"

# Behind the TLS proxy of docker-compose.yml: trust its X-Forwarded-Proto, and read client
# addresses from X-Forwarded-For as written by this many trusted proxies (b12clinic.core.clientip).
BEHIND_TLS_PROXY: bool = env.bool("BEHIND_TLS_PROXY", default=False)
TRUSTED_PROXY_HOPS: int = env.int("TRUSTED_PROXY_HOPS", default=1)

# The forms are short text: a body beyond this is refused unread (413), and nothing is
# spooled to disk. A future file upload (HL7) gets its own, larger limit on its own view.
MAX_REQUEST_BODY: int = env.int("MAX_REQUEST_BODY", default=512 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE: int = MAX_REQUEST_BODY
FILE_UPLOAD_MAX_MEMORY_SIZE: int = MAX_REQUEST_BODY
WSGI_APPLICATION = "b12clinic.wsgi.application"

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
                "b12clinic.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES: dict[str, dict[str, Any]] = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'b12clinic.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat share one file in `make run`: WAL lets readers
    # carry on during a write, and IMMEDIATE takes the write lock up front instead of failing
    # half-way through a transaction with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation is for long analytical queries; on the day list's few-millisecond
        # query it spent 0.8 s compiling (bench/day_list.py).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A streaming replica of the same PostgreSQL database, for the pages marked to read from it
# (b12clinic/core/replica.py); without one, everything reads from the primary. Tests mirror it
# onto the primary.
if REPLICA_URL := env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db_url_config(REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
DATABASE_REPLICA_READS: bool = "replica" in DATABASES
DATABASE_ROUTERS = ["b12clinic.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL: str = env("REDIS_URL", default="")
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {
            # Redis down must not fail a request: the cache only saves work (b12clinic/cache.py).
            "BACKEND": "b12clinic.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {
            # A file cache is shared by the web, worker and beat processes of `make run`.
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

# After one failed call, a process leaves the cache alone this long (b12clinic/cache.py).
CACHE_BREAKER_SECONDS: float = env.float("CACHE_BREAKER_SECONDS", default=5.0)

# Sessions are read from the cache and written through to the database: a request saves a
# query, and a cache that is down or cleared falls back to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Accounts -------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: it refuses a locked-out user before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "b12clinic.core.backends.SignInBackend",
]
# Lockout after repeated failures, per user name and address, with a cool-off (django-axes).
AXES_FAILURE_LIMIT: int = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A failure during a lockout does not restart it: a lockout ends on time, whoever keeps trying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "b12clinic.core.clientip.client_ip"
# Every failure is logged, for the per-account and per-address limits in signin_guard.py.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USERNAME_CALLABLE = "b12clinic.signin_guard.username_of"
SIGNIN_ACCOUNT_FREE_FAILURES: int = env.int("SIGNIN_ACCOUNT_FREE_FAILURES", default=10)
SIGNIN_ACCOUNT_MAX_DELAY: int = env.int("SIGNIN_ACCOUNT_MAX_DELAY", default=300)
SIGNIN_ADDRESS_LIMIT: int = env.int("SIGNIN_ADDRESS_LIMIT", default=30)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Signed out after 30 minutes without a request, and 12 hours after signing in, whatever.
SESSION_IDLE_SECONDS: int = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_SECONDS: int = env.int("SESSION_ABSOLUTE_HOURS", default=12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
OTP_TOTP_ISSUER = "B12 Clinic"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Transport and browser protections (python manage.py check --deploy passes) -------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The container health check asks over plain HTTP from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No inline script or style anywhere: every page's scripts and styles are files in static/.
CSP: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# --- Time -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE: str = env("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# Without DEBUG, WhiteNoise serves the collected, hashed files; with it, the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Forms ----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------------
# EMAIL_URL examples: smtp://user:password@mail.example.org:587 (add ?ssl=1 or use smtp+tls://),
# consolemail:// (default), filemail:///path/to/dir.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if vars().get("EMAIL_BACKEND") == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_BACKEND = "b12clinic.mail.SmtpBackend"  # Django's, with reminders' quicker path
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL: str = env("DEFAULT_FROM_EMAIL", default="B12 Clinic <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL: str = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# A task is acknowledged after it ran, so a worker killed mid-task leaves it for another.
CELERY_TASK_ACKS_LATE = True
# Asked to stop (SIGTERM, Ctrl-C), a worker gives its running task this long, then stops it
# and hands it back unacknowledged (acks late), so a process manager's stop is bounded.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT: float = env.float(
    "CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=10.0
)
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "b12clinic.tasks.heartbeat", "schedule": 60.0},
    "extend-dose-horizon": {
        "task": "plans.tasks.extend_dose_horizon",
        "schedule": crontab(hour=2, minute=15),
    },
    "lapse-rechecks": {
        "task": "monitoring.tasks.lapse_rechecks",
        "schedule": crontab(hour=2, minute=30),
    },
    "raise-overdue-alerts": {
        "task": "monitoring.tasks.raise_overdue_alerts",
        "schedule": crontab(minute=5),
    },
    # The outbox: every minute, claim due reminders and send them.
    "deliver-reminders": {"task": "monitoring.tasks.deliver_reminders", "schedule": 60.0},
    "plan-digests": {"task": "monitoring.tasks.plan_digests", "schedule": crontab(minute=0)},
    "sync-reminders": {
        "task": "monitoring.tasks.sync_reminders",
        "schedule": crontab(hour=2, minute=45),
    },
    "forget-bad-share-tokens": {
        "task": "plans.tasks.forget_bad_share_tokens",
        "schedule": crontab(hour=3, minute=10),
    },
}

# --- Reminders (monitoring/reminders.py) ----------------------------------------------------
SITE_URL: str = env("SITE_URL", default="http://localhost:8000").rstrip("/")
REMINDER_MESSAGE_DOMAIN: str = env("REMINDER_MESSAGE_DOMAIN", default="b12clinic.local")
REMINDER_BATCH_SIZE: int = env.int("REMINDER_BATCH_SIZE", default=100)
REMINDER_PARALLEL_BATCHES: int = env.int("REMINDER_PARALLEL_BATCHES", default=8)
REMINDER_MAX_ATTEMPTS: int = env.int("REMINDER_MAX_ATTEMPTS", default=5)
REMINDER_BACKOFF_SECONDS: int = env.int("REMINDER_BACKOFF_SECONDS", default=60)
REMINDER_SENDING_TIMEOUT_SECONDS: int = env.int("REMINDER_SENDING_TIMEOUT_SECONDS", default=300)
REMINDER_WINDOW_DAYS: int = env.int("REMINDER_WINDOW_DAYS", default=60)
# The nightly jobs (reminder sync, dose horizon) run in chunks of this many patients or plans,
# one Celery task each (b12clinic/core/nightly.py).
NIGHTLY_CHUNK_SIZE: int = env.int("NIGHTLY_CHUNK_SIZE", default=2000)
# A batch in stock is flagged on the stock page this many days before it expires.
STOCK_EXPIRY_WARNING_DAYS: int = env.int("STOCK_EXPIRY_WARNING_DAYS", default=30)
# SMS: "monitoring.reminders.sms.ConsoleBackend" (development) or
# "monitoring.reminders.sms.HttpGatewayBackend"
# (a Twilio-style REST API at SMS_GATEWAY_URL, with SMS_ACCOUNT / SMS_TOKEN / SMS_FROM).
SMS_BACKEND: str = env("SMS_BACKEND", default="monitoring.reminders.sms.ConsoleBackend")
SMS_GATEWAY_URL: str = env("SMS_GATEWAY_URL", default="https://api.twilio.com/2010-04-01")
SMS_ACCOUNT: str = env("SMS_ACCOUNT", default="")
SMS_TOKEN: str = env("SMS_TOKEN", default="")
SMS_FROM: str = env("SMS_FROM", default="B12Clinic")
SMS_TIMEOUT_SECONDS: float = env.float("SMS_TIMEOUT_SECONDS", default=10.0)

# --- Clinical defaults (clinical-reference.md; a clinic can change them) --------------------
B12_DOSE_HORIZON_DAYS: int = env.int("B12_DOSE_HORIZON_DAYS", default=365)
B12_MIN_FUTURE_MAINTENANCE_DOSES: int = env.int("B12_MIN_FUTURE_MAINTENANCE_DOSES", default=4)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "b12clinic.logfilters.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_refusals"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # axes logs every sign-in at INFO; failures and lockouts are WARNING and still show.
    "loggers": {"axes": {"level": "WARNING"}},
}
