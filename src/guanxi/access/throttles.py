"""DRF throttles: API reads per user, with limits by role (settings
``GUANXI_API_READS_PER_MINUTE`` and ``GUANXI_API_READS_PER_DAY``).

Pages hold at most 50 rows, so a role's daily limit bounds how many records
one token can walk through in a day (the service role used to read every
customer in about two minutes). Writes are bounded by their own rules
(bulk sizes, uniqueness answers), not here. Counts are fixed windows in
Django's cache (:mod:`guanxi.core.ratelimit`).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from guanxi.access.policies import role_of
from guanxi.audit.services import bulk_read
from guanxi.core.ratelimit import rate_limit_take

__all__ = ["BulkReads", "ReadsPerDay", "ReadsPerMinute"]


class _RoleReads(BaseThrottle):
    setting = ""
    window_seconds = 60

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method not in SAFE_METHODS:
            return True
        role = role_of(request.user)
        if role is None:
            return True  # no role: every answer is empty or a 403/404 already
        limit = getattr(settings, self.setting)[role.value]
        return rate_limit_take(
            scope=f"api-reads-{self.window_seconds}",
            who=str(request.user.pk),
            limit=limit,
            window_seconds=self.window_seconds,
        )

    def wait(self) -> float:
        return self.window_seconds - time.time() % self.window_seconds


class ReadsPerMinute(_RoleReads):
    """At most ``GUANXI_API_READS_PER_MINUTE[role]`` reads a minute."""

    setting = "GUANXI_API_READS_PER_MINUTE"
    window_seconds = 60


class ReadsPerDay(_RoleReads):
    """At most ``GUANXI_API_READS_PER_DAY[role]`` reads a day (UTC days)."""

    setting = "GUANXI_API_READS_PER_DAY"
    window_seconds = 86400


class BulkReads(BaseThrottle):
    """Refuses nothing: the ``GUANXI_API_BULK_READS_PER_HOUR``-plus-first API
    read of a person in an hour is an audit event (``api.bulk_read``, once per
    person and hour: at 50 rows a page, the default 100 reads is 5,000
    records). The throttles above bound how far it can go."""

    window_seconds = 3600

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method not in SAFE_METHODS or role_of(request.user) is None:
            return True
        who = str(request.user.pk)
        limit = settings.GUANXI_API_BULK_READS_PER_HOUR
        if not rate_limit_take(
            scope="api-bulk-reads", who=who, limit=limit, window_seconds=3600
        ) and rate_limit_take(
            scope="api-bulk-alert", who=who, limit=1, window_seconds=3600
        ):
            bulk_read(
                actor=request.user,
                count=limit + 1,
                window_minutes=60,
                kind=type(view).__name__,
            )
        return True
