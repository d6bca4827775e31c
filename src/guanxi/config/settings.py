"""Django settings, read once from the environment (12-factor).

Two ways to run:

* embedded default (``GUANXI_ENV`` unset or ``embedded``): one SQLite file in WAL
  mode under ``GUANXI_DATA_DIR`` (default ``./var``); secrets and keys generated
  into the data folder on first run; Huey on SQLite.
* production (``GUANXI_ENV=production``): ``DATABASE_URL``, ``GUANXI_SECRET_KEY``,
  ``GUANXI_ENCRYPTION_KEYS``, ``GUANXI_ENCRYPTION_KEY_ID``,
  ``GUANXI_BLIND_INDEX_KEY`` and ``GUANXI_PSEUDONYM_KEY`` are required from the
  environment; Huey on Redis when ``REDIS_URL`` is set.

Groups live in modules beside this one, imported where they stood here (their
side effects, such as making the data folder's private files, keep their
order): ``environment`` (which way it runs, the data folder), ``security``
(login, sessions, HTTPS, headers, lockout), ``rates`` (the cache and rate
limits), ``queue`` (Huey), ``log_settings`` (logging) and ``messaging_env``
(the channels' and send rules' environment variables).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from guanxi.config.keys import blind_index_keys, load_keyfile, parse_key_list
from guanxi.core.files import private_file, private_folder

BASE_DIR = Path(__file__).resolve().parent.parent
from guanxi.config.environment import DATA_DIR, ENV, PRODUCTION  # noqa: E402, F401


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in production (GUANXI_ENV=production)"
        )
    return value


#: The embedded key file, where ``guanxi keys rotate`` writes new keys; None
#: when the keys come from the environment (production, or every key variable
#: set): then the operator puts a new key there (docs/security.md).
GUANXI_KEY_FILE: Path | None = None
if PRODUCTION:
    _keys = {
        "secret_key": _required("GUANXI_SECRET_KEY"),
        "encryption_keys": _required("GUANXI_ENCRYPTION_KEYS"),
        "encryption_key_id": _required("GUANXI_ENCRYPTION_KEY_ID"),
        "blind_index_key": _required("GUANXI_BLIND_INDEX_KEY"),
        "pseudonym_key": _required("GUANXI_PSEUDONYM_KEY"),
    }
else:
    private_folder(DATA_DIR)
    _keys = load_keyfile(DATA_DIR / "keys.json")
    (DATA_DIR / "static").mkdir(exist_ok=True)
    for _name, _env in (
        ("secret_key", "GUANXI_SECRET_KEY"),
        ("encryption_keys", "GUANXI_ENCRYPTION_KEYS"),
        ("encryption_key_id", "GUANXI_ENCRYPTION_KEY_ID"),
        ("blind_index_key", "GUANXI_BLIND_INDEX_KEY"),
        ("pseudonym_key", "GUANXI_PSEUDONYM_KEY"),
    ):
        if os.environ.get(_env):
            _keys[_name] = os.environ[_env]
    if not any(
        os.environ.get(_env)
        for _env in (
            "GUANXI_ENCRYPTION_KEYS",
            "GUANXI_ENCRYPTION_KEY_ID",
            "GUANXI_BLIND_INDEX_KEY",
            "GUANXI_PSEUDONYM_KEY",
            "GUANXI_BLIND_INDEX_KEY_ID",
            "GUANXI_BLIND_INDEX_KEYS_RETIRED",
        )
    ):
        GUANXI_KEY_FILE = DATA_DIR / "keys.json"

SECRET_KEY = _keys["secret_key"]
GUANXI_ENCRYPTION_KEYS = parse_key_list(_keys["encryption_keys"])
GUANXI_ENCRYPTION_KEY_ID = _keys["encryption_key_id"]
if GUANXI_ENCRYPTION_KEY_ID not in GUANXI_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        f"GUANXI_ENCRYPTION_KEY_ID {GUANXI_ENCRYPTION_KEY_ID!r} is not among the encryption keys"
    )
GUANXI_BLIND_INDEX_KEY = _keys["blind_index_key"].encode("ascii")
#: The blind-index key's id, and the retired keys kept while erased people's
#: keyed hashes made with them are kept (docs/security.md, "Keys").
try:
    (
        GUANXI_BLIND_INDEX_KEY_ID,
        GUANXI_BLIND_INDEX_KEYS_RETIRED,
        GUANXI_BLIND_INDEX_RETIRED_ON,
    ) = blind_index_keys(_keys, os.environ)
except ValueError as _error:
    raise ImproperlyConfigured(str(_error)) from None
GUANXI_PSEUDONYM_KEY = _keys["pseudonym_key"].encode("ascii")

DEBUG = os.environ.get("GUANXI_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "GUANXI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver"
    ).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip()
    for o in os.environ.get("GUANXI_CSRF_TRUSTED_ORIGINS", "").split(",")
    if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files, no CDN
    "django_filters",
    "huey.contrib.djhuey",
    "axes",
    "guanxi.core",
    "guanxi.access",
    "guanxi.customers",
    "guanxi.commerce",
    "guanxi.ingest",
    "guanxi.exports",
    "guanxi.demo",
    "guanxi.insights",
    "guanxi.tags",
    "guanxi.segments",
    "guanxi.care",
    "guanxi.journeys",
    "guanxi.messaging",
    "guanxi.audit",
    "guanxi.privacy",
    "guanxi.feedback",
    "guanxi.surveys",
    "guanxi.coupons",
    "guanxi.needs",
    "guanxi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "guanxi.access.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "guanxi.access.sessions.SessionGuardMiddleware",
    "guanxi.access.twofactor.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "guanxi.config.urls"
WSGI_APPLICATION = "guanxi.config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "guanxi.web.context_processors.role",
            ],
        },
    },
]

# Database: SQLite in WAL mode under the data folder unless DATABASE_URL is set.
_default_sqlite = f"sqlite:///{DATA_DIR / 'guanxi.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", "") or _default_sqlite
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    _sqlite_name = str(DATABASES["default"]["NAME"])
    if _sqlite_name and _sqlite_name != ":memory:":
        # Created 0600 before SQLite makes it (its -wal/-shm follow its mode).
        private_folder(Path(_sqlite_name).parent)
        private_file(Path(_sqlite_name))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("GUANXI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [p for p in [BASE_DIR / "web" / "assets"] if p.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "uploads"
FILE_UPLOAD_PERMISSIONS = 0o600  # uploads hold personal data
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# A form may carry up to 1,000 ticked customers (the list's bulk bar, sending to
# the ticked) besides its own fields; Django's default stops at 1,000 in all.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_100
FILE_UPLOAD_HANDLERS = [
    "guanxi.ingest.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


def _import_limit(variable: str, scale: int = 1) -> int | None:
    value = os.environ.get(variable, "").strip().replace("_", "").replace(",", "")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(f"{variable} must be a whole number above 0")
    return int(value) * scale


# Bounds on one import file (guanxi.ingest.limits has the defaults and why).
GUANXI_IMPORT_LIMITS = {
    key: value
    for key, value in {
        "max_rows": _import_limit("GUANXI_IMPORT_MAX_ROWS"),
        "max_columns": _import_limit("GUANXI_IMPORT_MAX_COLUMNS"),
        "max_cell_chars": _import_limit("GUANXI_IMPORT_MAX_CELL"),
        "max_line_chars": _import_limit("GUANXI_IMPORT_MAX_LINE"),
        "max_upload_bytes": _import_limit("GUANXI_IMPORT_MAX_UPLOAD_MB", 1 << 20),
        "max_unpacked_bytes": _import_limit("GUANXI_IMPORT_MAX_UNPACKED_MB", 1 << 20),
        "max_errors": _import_limit("GUANXI_IMPORT_MAX_ERRORS"),
    }.items()
    if value is not None
}

from guanxi.config.rates import *  # noqa: E402, F403
from guanxi.config.security import *  # noqa: E402, F403

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "guanxi.access.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "guanxi.access.throttles.ReadsPerMinute",
        "guanxi.access.throttles.ReadsPerDay",
        "guanxi.access.throttles.BulkReads",
    ],
    # Bounded JSON, strict query parameters and cursor pages: see guanxi.core.api.
    "DEFAULT_PARSER_CLASSES": [
        "guanxi.core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["guanxi.core.api.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "guanxi.core.api.NewestFirstPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guanxi.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Guanxi API",
    "DESCRIPTION": "Guanxi (关系) customer relationship maintenance — REST API v1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: nothing
    # is fetched from the internet when someone opens the docs.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several fields share (without these,
    # `guanxi check --deploy` warns and the names carry hashes).
    "ENUM_NAME_OVERRIDES": {
        "CustomerChannelEnum": "guanxi.customers.choices.Channel",
        "MessageChannelEnum": "guanxi.messaging.choices.MessageChannel",
        "MessageStatusEnum": "guanxi.messaging.choices.MessageStatus",
        "OrderStatusEnum": "guanxi.commerce.choices.OrderStatus",
        "RemedyEnum": "guanxi.care.choices.Remedy",
        "TicketChannelEnum": "guanxi.feedback.choices.Channel",
        "TicketStatusEnum": "guanxi.feedback.choices.Status",
        "TicketPriorityEnum": "guanxi.feedback.choices.Priority",
        "NeedStatusEnum": "guanxi.needs.choices.NeedStatus",
    },
}

from guanxi.config.queue import *  # noqa: E402, F403

# A running import whose worker gave no sign of life for this long is failed
# (its worker died); it beats every few seconds (guanxi.ingest.leases).
GUANXI_JOB_LEASE_SECONDS = float(os.environ.get("GUANXI_JOB_LEASE_SECONDS", "60"))
# The nightly scoring run starts at half past this hour, local time (TIME_ZONE).
GUANXI_SCORE_HOUR = int(os.environ.get("GUANXI_SCORE_HOUR", "2"))
# Care (guanxi.care): at most this many care tasks due per person and day
# (0: no cap; the rest spill over), and the hour (local time) of the daily
# digest e-mail to staff.
GUANXI_CARE_DAILY_CAP = int(os.environ.get("GUANXI_CARE_DAILY_CAP", "30"))
# Surveys: a customer is asked at most once in this many days (invitations
# over the cap are counted, not sent); a survey link is valid this many days.
GUANXI_SURVEY_CAP_DAYS = int(os.environ.get("GUANXI_SURVEY_CAP_DAYS", "30"))
GUANXI_SURVEY_LINK_DAYS = int(os.environ.get("GUANXI_SURVEY_LINK_DAYS", "14"))
# Messaging: a preference page link (in every message) opens for this many
# days after its message was sent.
GUANXI_PREFERENCES_LINK_DAYS = int(os.environ.get("GUANXI_PREFERENCES_LINK_DAYS", "90"))
GUANXI_CARE_DIGEST_HOUR = int(os.environ.get("GUANXI_CARE_DIGEST_HOUR", "8"))
# Snapshots a scoring run writes per transaction (its checkpoint step).
GUANXI_SCORE_CHUNK = int(os.environ.get("GUANXI_SCORE_CHUNK", "50000"))
# Exports asked for in the browser: at most this many rows each, and their
# files (under DATA_DIR/exports) are deleted this many days after they were made.
GUANXI_EXPORT_MAX_ROWS = int(os.environ.get("GUANXI_EXPORT_MAX_ROWS", "1000000"))
GUANXI_EXPORT_KEEP_DAYS = int(os.environ.get("GUANXI_EXPORT_KEEP_DAYS", "7"))
# Privacy (guanxi.privacy, docs/privacy.md): a data-subject request is due
# this many days after it is received; each kind of data is kept this many
# days (0: for ever) and then purged nightly at 03:50 local time. Audit
# entries are kept at least 3 years whatever is set here. At most this many
# inactive customers are erased per run (the rest on the next nights).
GUANXI_DSAR_DUE_DAYS = int(os.environ.get("GUANXI_DSAR_DUE_DAYS", "30"))
GUANXI_RETENTION_DAYS = {
    category: int(os.environ.get(f"GUANXI_RETENTION_{category.upper()}_DAYS", days))
    for category, days in (
        ("inactive_customers", "1825"),
        ("messages", "730"),
        ("tracking_events", "365"),
        ("interactions", "1095"),
        ("inbound_mail", "90"),
        ("audit", "1095"),
    )
}
GUANXI_RETENTION_CUSTOMERS_PER_RUN = int(
    os.environ.get("GUANXI_RETENTION_CUSTOMERS_PER_RUN", "500")
)

EMAIL_BACKEND = os.environ.get(
    "GUANXI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("GUANXI_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("GUANXI_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("GUANXI_FROM_EMAIL", "guanxi@localhost")

# Ticket attachments (guanxi.feedback.files): bytes per file, files per upload
# and per ticket. An upload's body larger than per-upload x per-file (+256 KB)
# is refused before it is read.
GUANXI_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("GUANXI_ATTACHMENT_MAX_MB", "5") or 5
) * (1024 * 1024)
GUANXI_ATTACHMENT_PER_UPLOAD = int(
    os.environ.get("GUANXI_ATTACHMENT_PER_UPLOAD", "5") or 5
)
GUANXI_ATTACHMENT_PER_TICKET = int(
    os.environ.get("GUANXI_ATTACHMENT_PER_TICKET", "20") or 20
)

from guanxi.config.log_settings import *  # noqa: E402, F403
from guanxi.config.messaging_env import *  # noqa: E402, F403
