"""Counters of how often someone did something, in fixed windows, in Django's
cache (Redis when ``REDIS_URL`` is set, else this process's memory).

For the side doors a patient user could open one request at a time: exact
searches by phone or e-mail (10,000 guesses recover a masked phone), and
uniqueness answers that would tell whether a contact exists elsewhere.
"""

from __future__ import annotations

import time

from django.core.cache import cache

__all__ = ["rate_limit_reached", "rate_limit_take"]


def _key(scope: str, who: str, window_seconds: int) -> str:
    window = int(time.time() // window_seconds)
    return f"guanxi:rate:{scope}:{who}:{window}"


def rate_limit_reached(
    *, scope: str, who: str, limit: int, window_seconds: int
) -> bool:
    """True when ``who`` has done ``limit`` of ``scope`` or more in the current
    window (nothing is counted)."""
    return int(cache.get(_key(scope, who, window_seconds), 0)) >= limit


def rate_limit_take(*, scope: str, who: str, limit: int, window_seconds: int) -> bool:
    """Count one more ``scope`` for ``who`` in the current window of
    ``window_seconds``; False when that makes more than ``limit`` (the caller
    refuses). A refused attempt counts too, so hammering does not reopen it."""
    key = _key(scope, who, window_seconds)
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.set(key, 1, timeout=window_seconds + 1)
            count = 1
    return count <= limit
