"""Settings for the test suite: the real settings, read from the same environment.

Only what makes tests deterministic or fast differs; DATABASE_URL and CELERY_BROKER_URL are
honoured so CI runs the suite on PostgreSQL and Redis.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .settings import *  # noqa: F403
from .settings import DATABASES, STORAGES

# Argon2 is deliberately slow; the suite creates many users. test_settings checks production
# keeps Argon2 first.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest storage needs collectstatic first; tests serve the source files.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files straight from the source folders, as `runserver` does.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The test client and the live server speak plain HTTP; production's HTTPS-only settings are
# checked by `check --deploy` in tests/b12clinic/test_security.py, on the real settings.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# The replica alias exists, mirrored onto the test database, with its reads off: the test that
# switches them on (tests/b12clinic/test_replica.py) names it among its databases.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_REPLICA_READS = False
