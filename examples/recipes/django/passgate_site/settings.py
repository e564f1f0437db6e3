"""Settings of the passgate recipe site: Django's admin behind passgate.

Environment: DJANGO_SECRET_KEY (required), DJANGO_ALLOWED_HOSTS (comma-separated, default
"localhost"), DJANGO_DB_PATH (SQLite file, default db.sqlite3 here), PASSGATE_STAFF_GROUPS
and PASSGATE_SUPERUSER_GROUPS (comma-separated passgate group names, default "staff" and
"admins").
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _list(name, default):
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: passgate's user becomes request.user.
    "passgate_site.passgate_auth.PassgateUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Only passgate's header signs anyone in: no ModelBackend, so no password works.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.RemoteUserBackend"]

PASSGATE_STAFF_GROUPS = _list("PASSGATE_STAFF_GROUPS", "staff")
PASSGATE_SUPERUSER_GROUPS = _list("PASSGATE_SUPERUSER_GROUPS", "admins")

# passgate sets X-Forwarded-Proto itself (a client's copy is replaced), so Django may
# believe it: with passgate on https and Django on http, CSRF checks and
# request.is_secure() see https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

ROOT_URLCONF = "passgate_site.urls"
WSGI_APPLICATION = "passgate_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
