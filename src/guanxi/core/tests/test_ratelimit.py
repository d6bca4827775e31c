"""Rate-limit counters in Django's cache: this process's memory, and Redis
(the test script's own server) as production uses when REDIS_URL is set."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.cache import caches

from guanxi.core.ratelimit import rate_limit_reached, rate_limit_take

REDIS = os.environ.get("GUANXI_TEST_REDIS_URL", "")


@pytest.fixture(params=["locmem", "redis"])
def backend(request: Any, settings: Any) -> None:
    if request.param == "redis":
        if not REDIS:
            pytest.skip("GUANXI_TEST_REDIS_URL is not set (scripts/services)")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS,
                "KEY_PREFIX": f"guanxi-test-{os.getpid()}",
            }
        }
    caches["default"].clear()


def test_the_limit_counts_per_scope_and_person(backend: None) -> None:
    take: dict[str, Any] = {"scope": "s", "limit": 3, "window_seconds": 60}
    assert [rate_limit_take(who="1", **take) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert rate_limit_reached(who="1", **take) is True
    assert rate_limit_reached(who="2", **take) is False
    assert rate_limit_take(who="2", **take) is True
    assert rate_limit_take(who="1", **{**take, "scope": "other"}) is True
