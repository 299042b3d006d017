"""Django settings for GridGov, all driven by the environment (see gridgov.conf)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from gridgov import conf

BASE_DIR = Path(__file__).resolve().parent
GRIDGOV_HOME = conf.home()

SECRET_KEY = conf.secret_key()
GRIDGOV_DATA_KEY = conf.data_key()
GRIDGOV_TILE_URL = conf.tile_url()
DEBUG = os.environ.get("GRIDGOV_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("GRIDGOV_ALLOWED_HOSTS", "*").split(",") if h.strip()
]
# Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses).
GRIDGOV_TRUSTED_PROXIES = frozenset(
    a.strip() for a in os.environ.get("GRIDGOV_TRUSTED_PROXIES", "").split(",") if a.strip()
)
# Served over HTTPS (directly or behind a TLS-terminating proxy): cookies only over TLS.
GRIDGOV_HTTPS = os.environ.get("GRIDGOV_HTTPS", "") == "1"
if GRIDGOV_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Large GeoJSON imports through the API (a county's grids) exceed Django's 2.5 MB default.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("GRIDGOV_MAX_UPLOAD_MB", "50")) * 1024 * 1024
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("GRIDGOV_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Our apps first: their templates and translations win over Django's (e.g. 退出登录, not the
# admin's 注销).
INSTALLED_APPS = [
    "gridgov.core",
    "gridgov.audit",
    "gridgov.territory",
    "gridgov.accounts",
    "gridgov.registry",
    "gridgov.inbox",
    "gridgov.cases",
    "gridgov.epidemic",
    "gridgov.api",  # Open311 (its translations)
    "gridgov.web",
    "gridgov.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridgov.audit.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gridgov.cases.middleware.CalendarPerRequestMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.web.context.navigation",
            ],
        },
    },
]

DATABASES = {"default": conf.database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 idle minutes; every request renews the clock.
SESSION_COOKIE_AGE = int(os.environ.get("GRIDGOV_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Login lockout: after this many failures in a row the account is locked.
GRIDGOV_LOGIN_MAX_FAILURES = int(os.environ.get("GRIDGOV_LOGIN_MAX_FAILURES", "5"))
GRIDGOV_LOGIN_LOCK_MINUTES = int(os.environ.get("GRIDGOV_LOGIN_LOCK_MINUTES", "30"))
# Failures from one address (any usernames) before that address is refused for the window.
GRIDGOV_LOGIN_IP_MAX_FAILURES = int(os.environ.get("GRIDGOV_LOGIN_IP_MAX_FAILURES", "20"))
GRIDGOV_LOGIN_IP_WINDOW_MINUTES = int(os.environ.get("GRIDGOV_LOGIN_IP_WINDOW_MINUTES", "15"))
GRIDGOV_API_TOKEN_DAYS = int(os.environ.get("GRIDGOV_API_TOKEN_DAYS", "90"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "gridgov_language"
TIME_ZONE = os.environ.get("GRIDGOV_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = GRIDGOV_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing folder before collectstatic
MEDIA_ROOT = GRIDGOV_HOME / "uploads"
MEDIA_URL = "/media/"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders when collectstatic has not run (tests, first start).
WHITENOISE_USE_FINDERS = True

# A file cache shared by every server worker, so per-address login throttling counts all of
# a client's attempts whichever worker answers them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(GRIDGOV_HOME / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 10000},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "WARNING")},
}

GRIDGOV_APP_TITLE = _("GridGov")

# Cases workflow (docs/operator-guide.md, "Cases"): how long a stage may take before it is
# late and escalates, as "<amount> <unit>" with the unit urgent_hours, working_hours or
# working_days; the distance within which an open case of the same class is a likely
# duplicate; the largest photo or document accepted.
GRIDGOV_CASE_VERIFY_LIMIT = os.environ.get("GRIDGOV_CASE_VERIFY_LIMIT", "1 working_hours")
GRIDGOV_CASE_DISPATCH_LIMIT = os.environ.get("GRIDGOV_CASE_DISPATCH_LIMIT", "1 working_hours")
GRIDGOV_CASE_CHECK_LIMIT = os.environ.get("GRIDGOV_CASE_CHECK_LIMIT", "1 working_hours")
GRIDGOV_CASE_DUPLICATE_METRES = float(os.environ.get("GRIDGOV_CASE_DUPLICATE_METRES", "100"))
GRIDGOV_ATTACHMENT_MAX_MB = float(os.environ.get("GRIDGOV_ATTACHMENT_MAX_MB", "10"))
# Reports the public page accepts from one client address per hour (a throttle, not a quota).
GRIDGOV_PUBLIC_REPORTS_PER_HOUR = int(os.environ.get("GRIDGOV_PUBLIC_REPORTS_PER_HOUR", "10"))
# The public health declaration page's identity check: attempts per client address and
# per ID number in an hour (epidemic.views.public).
GRIDGOV_EPIDEMIC_IDENTIFY_PER_HOUR = int(os.environ.get("GRIDGOV_EPIDEMIC_IDENTIFY_PER_HOUR", "20"))
GRIDGOV_EPIDEMIC_IDENTIFY_PER_IDENTITY = int(
    os.environ.get("GRIDGOV_EPIDEMIC_IDENTIFY_PER_IDENTITY", "5")
)
# Photos and documents go to an S3-compatible store when a bucket is named (needs the
# ``s3`` extra: pip install 'gridgov[s3]'); otherwise under MEDIA_ROOT. Never public: files
# are served only through scoped views.
if os.environ.get("GRIDGOV_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["GRIDGOV_S3_BUCKET"],
            "endpoint_url": os.environ.get("GRIDGOV_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("GRIDGOV_S3_REGION") or None,
            "access_key": os.environ.get("GRIDGOV_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("GRIDGOV_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("GRIDGOV_S3_PREFIX", "gridgov"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
