"""Settings for the test suite: the production settings with what tests need on top."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("GAOXIN_DATA_DIR", tempfile.mkdtemp(prefix="gaoxin-test-"))
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from gaoxin.settings import *  # noqa: F403
from gaoxin.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Live-server threads must not keep connections open, or PostgreSQL cannot drop the test
# databases at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# One cache per test process, emptied before each test (conftest): a shared file cache would
# carry one test's figures into another's database.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
