"""Settings: the cache holding rate-limit counters, and the rate limits themselves."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "CACHES",
    "GUANXI_API_BULK_READS_PER_HOUR",
    "GUANXI_API_READS_PER_DAY",
    "GUANXI_API_READS_PER_MINUTE",
    "GUANXI_CONFLICTS_PER_HOUR",
    "GUANXI_CONTACT_SEARCHES_PER_MINUTE",
    "GUANXI_CONTACT_SEARCH_ALERT_PER_HOUR",
]

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
