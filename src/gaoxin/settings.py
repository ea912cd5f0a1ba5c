"""Django settings, all from the environment (12-factor), with laptop-friendly defaults.

DATABASE_URL  sqlite:///… (default: ./var/gaoxin.sqlite3) or postgres://user@host:5432/db
SECRET_KEY    required when DEBUG is off
DEBUG         "1"/"true" for development; off by default
ALLOWED_HOSTS comma-separated; default localhost names when DEBUG is on
GAOXIN_DATA_DIR where SQLite, uploads and the like live (default ./var)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("GAOXIN_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("GAOXIN_INSECURE_DEV_KEY"):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (production) or DEBUG=1 (development)."
        )
    SECRET_KEY = "gaoxin-development-key-not-for-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "gaoxin.core",
    "gaoxin.accounts",
    "gaoxin.enterprises",
    "gaoxin.notifications",
    "gaoxin.ledger",
    "gaoxin.policies",
    "gaoxin.supermarket",
    "gaoxin.vouchers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "gaoxin.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "gaoxin.urls"
WSGI_APPLICATION = "gaoxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gaoxin.core.context.frame",
                "gaoxin.notifications.context.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'gaoxin.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web process and a db_worker share one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Figures kept between requests (core/cached.py): a file cache, shared by the server's processes
# (gunicorn runs several); its keys name the database, so two databases served from one data
# directory never read each other's figures.
_database = DATABASES["default"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
        "KEY_PREFIX": hashlib.sha256(
            repr([_database.get(k) for k in ("ENGINE", "NAME", "HOST", "PORT")]).encode()
        ).hexdigest()[:12],
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins allowed per account (and per client address) in the window before a lock-out.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
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
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

# Imports: a file larger than this is refused before it is parsed.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(60 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "gaoxin@localhost")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(30 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # The preload list is a commitment a public domain opts into (SECURE_HSTS_PRELOAD=1);
        # most zones run Gaoxin on an intranet host that could never be preloaded.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Public notices mask enterprise identifiers (PRODUCT.md: 公示 with masked fields).
GAOXIN_MASK_PUBLIC_USCC = env_bool("GAOXIN_MASK_PUBLIC_USCC", True)
GAOXIN_ZONE_NAME = os.environ.get("GAOXIN_ZONE_NAME", "厦门火炬高新区")
# Where the zone is, as policy files name regions: it publishes national policies and those of
# the regions that contain it; the library's other policies are imported by hand, as drafts.
GAOXIN_ZONE_REGION = os.environ.get("GAOXIN_ZONE_REGION", "福建省/厦门市/火炬高新区")

# 火炬创新券: the defaults a new yearly scheme starts with (each scheme keeps its own copy).
# Xiamen deducts up to 35% of the fee; the caps are the zone's to set, in yuan.
GAOXIN_VOUCHER_RATIO = os.environ.get("GAOXIN_VOUCHER_RATIO", "0.35")
GAOXIN_VOUCHER_ORDER_CAP_YUAN = os.environ.get("GAOXIN_VOUCHER_ORDER_CAP_YUAN", "100000")
GAOXIN_VOUCHER_ENTERPRISE_CAP_YUAN = os.environ.get("GAOXIN_VOUCHER_ENTERPRISE_CAP_YUAN", "300000")
GAOXIN_VOUCHER_SECOND_REVIEW_YUAN = os.environ.get("GAOXIN_VOUCHER_SECOND_REVIEW_YUAN", "50000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

AUTHENTICATION_BACKENDS = ["gaoxin.accounts.backends.RoleBackend"]
CSRF_FAILURE_VIEW = "gaoxin.core.views.csrf_failure"
