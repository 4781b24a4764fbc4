"""Settings for the test suite: production settings with test-only secrets and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("JWT_SIGNING_KEY", "test-jwt-signing-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")

from ticketsite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# No per-user API limit (a None rate touches no cache, so query counts stay exact); tests/test_throttling.py sets rates.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"auth": "1000/min", "api_read": None, "api_write": None}  # noqa: F405
TICKET_SUBMIT_THROTTLE_RATE = "1000/hour"
# The suite logs in a lot from one address; tests/test_lockout.py sets the limit it tests.
AXES_FAILURE_LIMIT = 1000
