"""Django settings, read once from the environment (12-factor).

Two ways to run:

* embedded default (``GUANXI_ENV`` unset or ``embedded``): one SQLite file in WAL
  mode under ``GUANXI_DATA_DIR`` (default ``./var``); secrets and keys generated
  into the data folder on first run; Huey on SQLite.
* production (``GUANXI_ENV=production``): ``DATABASE_URL``, ``GUANXI_SECRET_KEY``,
  ``GUANXI_ENCRYPTION_KEYS``, ``GUANXI_ENCRYPTION_KEY_ID``,
  ``GUANXI_BLIND_INDEX_KEY`` and ``GUANXI_PSEUDONYM_KEY`` are required from the
  environment; Huey on Redis when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from guanxi.config.keys import blind_index_keys, load_keyfile, parse_key_list
from guanxi.core.files import private_file, private_folder

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ.get("GUANXI_ENV", "embedded")
if ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured(
        f"GUANXI_ENV must be 'embedded' or 'production', not {ENV!r}"
    )
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("GUANXI_DATA_DIR", "var")).resolve()


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

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "guanxi.web.errors.csrf_failure"
if PRODUCTION:
    SESSION_COOKIE_SECURE = os.environ.get("GUANXI_HTTPS", "1") == "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # HTTPS only (docs/security.md): plain HTTP is redirected, and browsers are
    # told to use HTTPS for GUANXI_HSTS_SECONDS (a year) from their first visit.
    SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = (
        int(os.environ.get("GUANXI_HSTS_SECONDS", "31536000"))
        if SESSION_COOKIE_SECURE
        else 0
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = (
        os.environ.get("GUANXI_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    )
    SECURE_HSTS_PRELOAD = os.environ.get("GUANXI_HSTS_PRELOAD", "1") == "1"
# Behind a reverse proxy that terminates TLS, the proxy says the request came
# over HTTPS with X-Forwarded-Proto; believed only when proxies are configured
# (GUANXI_TRUSTED_PROXIES, below), as only they should reach the server.
if os.environ.get("GUANXI_TRUSTED_PROXIES", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy and Permissions-Policy (guanxi.access.headers).
GUANXI_CSP = os.environ.get("GUANXI_CSP", "1") == "1"

# Sessions (guanxi.access.sessions): a session ends after
# GUANXI_SESSION_IDLE_MINUTES without a request, and GUANXI_SESSION_MAX_HOURS
# after its login whatever happens; and at once when the user is deactivated or
# their role changes. Changing one's password, a colleague's role or e-mail
# asks for the password again when it was last given more
# than GUANXI_REAUTH_MINUTES ago.
GUANXI_SESSION_IDLE_MINUTES = int(os.environ.get("GUANXI_SESSION_IDLE_MINUTES", "30"))
GUANXI_SESSION_MAX_HOURS = int(os.environ.get("GUANXI_SESSION_MAX_HOURS", "12"))
GUANXI_REAUTH_MINUTES = int(os.environ.get("GUANXI_REAUTH_MINUTES", "10"))
# The stored session outlives the limit by an hour, so that the person is
# told why they were logged out rather than finding themselves on the login page.
SESSION_COOKIE_AGE = (GUANXI_SESSION_MAX_HOURS + 1) * 3600

# Login lockout (guanxi.access.logins): AXES_FAILURE_LIMIT wrong passwords
# for one user from one address lock that user at that address for
# AXES_COOLOFF_TIME; GUANXI_LOGIN_ADDRESS_LIMIT from one address (any users)
# lock the address. The address is the connection's; X-Forwarded-For is read
# only from GUANXI_TRUSTED_PROXIES (addresses or networks, comma-separated).
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "guanxi.access.logins.PairAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "guanxi.access.logins.client_address"
GUANXI_LOGIN_ADDRESS_LIMIT = int(os.environ.get("GUANXI_LOGIN_ADDRESS_LIMIT", "50"))
GUANXI_TRUSTED_PROXIES = [
    p.strip()
    for p in os.environ.get("GUANXI_TRUSTED_PROXIES", "").split(",")
    if p.strip()
]
AXES_ENABLED = os.environ.get("GUANXI_AXES", "1") == "1"
AXES_LOCKOUT_TEMPLATE = "web/locked.html"

# Django's cache: counters of the rate limits below (and DRF's throttles).
# Redis when REDIS_URL is set (several web processes or machines share the
# counts); otherwise this process's memory (the embedded server is one process).
_CACHE_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": "guanxi",
        }
        if _CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}


def _rates(variable: str, default: dict[str, int]) -> dict[str, int]:
    """``role=n,role=n`` from the environment over the defaults."""
    rates = dict(default)
    for part in os.environ.get(variable, "").split(","):
        if not part.strip():
            continue
        role, _, number = part.partition("=")
        if role.strip() not in default or not number.strip().isdigit():
            raise ImproperlyConfigured(
                f"{variable}: expected role=number pairs for the roles "
                f"{', '.join(default)}, e.g. analyst=60"
            )
        rates[role.strip()] = int(number)
    return rates


# API reads (GET) per user, by role: at most this many a minute and a day
# (guanxi.access.throttles; 0 means no reads). A page holds at most 50 rows.
GUANXI_API_READS_PER_MINUTE = _rates(
    "GUANXI_API_READS_PER_MINUTE",
    {
        "admin": 300,
        "operations": 120,
        "service": 60,
        "account_manager": 60,
        "analyst": 120,
    },
)
GUANXI_API_READS_PER_DAY = _rates(
    "GUANXI_API_READS_PER_DAY",
    {
        "admin": 20000,
        "operations": 5000,
        "service": 2000,
        "account_manager": 2000,
        "analyst": 5000,
    },
)
# Exact searches by phone number or e-mail address (web list, API, export
# filters) per user a minute, every role.
GUANXI_CONTACT_SEARCHES_PER_MINUTE = int(
    os.environ.get("GUANXI_CONTACT_SEARCHES_PER_MINUTE", "30")
)
# Audit alerts (guanxi.audit): more exact contact searches than this by one
# person in an hour, or more API reads than this in an hour, are an event.
GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR = int(
    os.environ.get("GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR", "100")
)
GUANXI_API_BULK_READS_PER_HOUR = int(
    os.environ.get("GUANXI_API_BULK_READS_PER_HOUR", "100")
)

# Phone numbers, e-mail addresses and order numbers an account manager may
# have refused as held by a customer outside their scope, an hour, before
# every write of one is refused until the hour is over.
GUANXI_CONFLICTS_PER_HOUR = int(os.environ.get("GUANXI_CONFLICTS_PER_HOUR", "5"))

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

# Background work: Huey on SQLite by default, on Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "guanxi",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guanxi",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }
    private_folder(DATA_DIR)
    private_file(DATA_DIR / "huey.sqlite3")  # task arguments: private too
if os.environ.get("GUANXI_HUEY_IMMEDIATE") == "1":
    HUEY["immediate"] = True
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

# Whole log records, tracebacks included (GUANXI_LOG_FILE; empty: none). The
# terminal shows one line per record and names this file.
_log_file = os.environ.get("GUANXI_LOG_FILE", str(DATA_DIR / "log" / "guanxi.log"))
LOG_FILE: Path | None = Path(_log_file).resolve() if _log_file else None
if LOG_FILE is not None:
    try:
        private_folder(LOG_FILE.parent)
    except OSError:  # a read-only disk: the terminal's lines only
        LOG_FILE = None
_LOG_HANDLERS = ["console", "file"] if LOG_FILE else ["console"]

# Messaging (guanxi.messaging): channels, and the rules checked at send time.
# The channels' settings below may instead be set on the admin page
# messages/channels/ (stored encrypted); a value given here wins. Empty here
# means "not from the environment": the defaults are in
# guanxi.messaging.channel_settings, read through channel_setting().
GUANXI_EMAIL_URL = os.environ.get("GUANXI_EMAIL_URL", "")
GUANXI_EMAIL_FROM = os.environ.get("GUANXI_EMAIL_FROM", "")
GUANXI_WEBHOOK_URL = os.environ.get("GUANXI_WEBHOOK_URL", "")
GUANXI_WEBHOOK_SECRET = os.environ.get("GUANXI_WEBHOOK_SECRET", "")
# Inbound e-mail on the feedback address (guanxi.feedback.mail): the secret the
# provider's webhook signs with; empty: the webhook does not exist (404).
GUANXI_INBOUND_MAIL_SECRET = os.environ.get("GUANXI_INBOUND_MAIL_SECRET", "")
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
# Plain HTTP to 127.0.0.1 for webhooks: for tests only, never in production.
GUANXI_WEBHOOK_LOOPBACK_HTTP = (
    not PRODUCTION and os.environ.get("GUANXI_WEBHOOK_LOOPBACK_HTTP") == "1"
)
# SMS: GUANXI_SMS_PROVIDER aliyun | tencent | http (a gateway of the
# business's own). Keys: Aliyun AccessKey ID/secret, Tencent SecretId/SecretKey,
# the gateway's HMAC secret (docs/messaging.md).
GUANXI_SMS_PROVIDER = os.environ.get("GUANXI_SMS_PROVIDER", "")
GUANXI_SMS_KEY_ID = os.environ.get("GUANXI_SMS_KEY_ID", "")
GUANXI_SMS_KEY_SECRET = os.environ.get("GUANXI_SMS_KEY_SECRET", "")
GUANXI_SMS_SIGN_NAME = os.environ.get("GUANXI_SMS_SIGN_NAME", "")
GUANXI_SMS_TEMPLATE = os.environ.get("GUANXI_SMS_TEMPLATE", "")
GUANXI_SMS_TEMPLATE_PARAMS = os.environ.get("GUANXI_SMS_TEMPLATE_PARAMS", "")
GUANXI_SMS_TEXT_PARAM = os.environ.get("GUANXI_SMS_TEXT_PARAM", "")
GUANXI_SMS_APP_ID = os.environ.get("GUANXI_SMS_APP_ID", "")
GUANXI_SMS_REGION = os.environ.get("GUANXI_SMS_REGION", "")
GUANXI_SMS_ENDPOINT = os.environ.get("GUANXI_SMS_ENDPOINT", "")
GUANXI_SMS_MAX_SEGMENTS = os.environ.get("GUANXI_SMS_MAX_SEGMENTS", "")
# The secret part of the delivery-receipt URL given to the provider
# (/m/sms/receipts/<token>/); empty: receipts are not taken.
GUANXI_SMS_RECEIPT_TOKEN = os.environ.get("GUANXI_SMS_RECEIPT_TOKEN", "")
# WeCom: GUANXI_WECOM_MODE external (to customers, external-contact API) or
# robot (a staff group's robot).
GUANXI_WECOM_MODE = os.environ.get("GUANXI_WECOM_MODE", "")
GUANXI_WECOM_BASE_URL = os.environ.get("GUANXI_WECOM_BASE_URL", "")
GUANXI_WECOM_CORP_ID = os.environ.get("GUANXI_WECOM_CORP_ID", "")
GUANXI_WECOM_SECRET = os.environ.get("GUANXI_WECOM_SECRET", "")
GUANXI_WECOM_SENDER = os.environ.get("GUANXI_WECOM_SENDER", "")
GUANXI_WECOM_ROBOT_KEY = os.environ.get("GUANXI_WECOM_ROBOT_KEY", "")
GUANXI_WECOM_ROBOT_FORMAT = os.environ.get("GUANXI_WECOM_ROBOT_FORMAT", "")
# Plain HTTP to 127.0.0.1 for the SMS and WeCom endpoints: tests only.
GUANXI_CHANNELS_LOOPBACK_HTTP = (
    not PRODUCTION and os.environ.get("GUANXI_CHANNELS_LOOPBACK_HTTP") == "1"
)
# Where links in messages (unsubscribe, tracking) point: this server as
# customers reach it.
GUANXI_PUBLIC_URL = os.environ.get("GUANXI_PUBLIC_URL", "http://127.0.0.1:8000")
# E-mail tracking (docs/messaging.md): an open pixel and click links, only for
# customers who consented to profiling on e-mail. "0" switches either off.
GUANXI_TRACK_OPENS = os.environ.get("GUANXI_TRACK_OPENS", "1") != "0"
GUANXI_TRACK_CLICKS = os.environ.get("GUANXI_TRACK_CLICKS", "1") != "0"
# The secret part of the URL the mail provider posts bounces and complaints to
# (/m/email/events/?token=…); empty: none are taken.
GUANXI_EMAIL_EVENTS_TOKEN = os.environ.get("GUANXI_EMAIL_EVENTS_TOKEN", "")
# A message converts when its customer places an order within this many days.
GUANXI_CONVERSION_DAYS = int(os.environ.get("GUANXI_CONVERSION_DAYS", "7"))
GUANXI_MESSAGE_LEASE_SECONDS = float(
    os.environ.get("GUANXI_MESSAGE_LEASE_SECONDS", "60")
)
GUANXI_MESSAGE_RETRY_BASE_SECONDS = float(
    os.environ.get("GUANXI_MESSAGE_RETRY_BASE_SECONDS", "30")
)
GUANXI_MESSAGE_RETRY_CAP_SECONDS = float(
    os.environ.get("GUANXI_MESSAGE_RETRY_CAP_SECONDS", "3600")
)
GUANXI_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("GUANXI_MESSAGE_MAX_ATTEMPTS", "8"))
GUANXI_MARKETING_PER_WEEK = int(os.environ.get("GUANXI_MARKETING_PER_WEEK", "2"))
GUANXI_QUIET_HOURS = os.environ.get("GUANXI_QUIET_HOURS", "21:00-09:00")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "disallowed_host_line": {"()": "guanxi.config.log_filters.DisallowedHostLine"}
    },
    "formatters": {
        "one_line": {
            "()": "guanxi.config.log_filters.OneLine",
            "details": str(LOG_FILE or ""),
        },
        "full": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        # The terminal: one line per record, never a traceback (log_filters).
        "console": {"class": "logging.StreamHandler", "formatter": "one_line"},
        # Everything, tracebacks included, for whoever runs the server.
        "file": {
            "class": "guanxi.config.log_filters.PrivateRotatingFile",
            "filename": str(LOG_FILE or os.devnull),
            "maxBytes": 5_000_000,
            "backupCount": 3,
            "delay": True,
            "encoding": "utf-8",
            "formatter": "full",
        },
    },
    "root": {
        "handlers": _LOG_HANDLERS,
        "level": os.environ.get("GUANXI_LOG_LEVEL", "WARNING"),
    },
    "loggers": {
        # The task worker's records through the same handlers (one line on the
        # terminal, whole in the file): with a handler of its own configured,
        # Huey's consumer adds none of its own, which printed tracebacks.
        "huey": {
            "handlers": _LOG_HANDLERS,
            "level": os.environ.get("GUANXI_LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
        # One line per refused host instead of a traceback (see log_filters).
        "django.security.DisallowedHost": {
            "handlers": _LOG_HANDLERS,
            "filters": ["disallowed_host_line"],
            "propagate": False,
        },
    },
}
