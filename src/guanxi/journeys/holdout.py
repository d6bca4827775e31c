"""The holdout group: fixed per (customer, journey) by a keyed hash, so a
customer is in or out of a journey's holdout on every entry and every
database, and nobody can choose it.

The key is derived from the secret key with HMAC (per journey); the
customer's share is the first 32 bits of SHA-256(key:id), in basis points
(0–9999), held out below ``percent × 100``. The same number is computed in
Python and in SQL (a registered function on SQLite, ``sha256`` on
PostgreSQL), so a set-based insert decides without a round trip.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import connection

__all__ = ["holdout_basis_points", "holdout_key", "holdout_sql"]


def holdout_key(journey_id: int) -> str:
    """The journey's key (hex): HMAC of the journey's number with the secret."""
    return hmac.new(
        settings.SECRET_KEY.encode(),
        f"journey-holdout:{journey_id}".encode(),
        hashlib.sha256,
    ).hexdigest()


def holdout_basis_points(key: str, customer_id: int) -> int:
    """The customer's share 0–9999 under the journey's ``key``."""
    digest = hashlib.sha256(f"{key}:{customer_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 10000


def holdout_sql(column: str, *, key: str = "%s") -> str:
    """SQL for :func:`holdout_basis_points` of the id in ``column`` under the
    key ``key`` (by default one param; or a column holding it)."""
    if connection.vendor == "postgresql":
        return (
            f"(('x' || substr(encode(sha256(convert_to({key} || ':' || "
            f"{column}::text, 'UTF8')), 'hex'), 1, 8))::bit(32)::bigint %% 10000)"
        )
    connection.ensure_connection()
    connection.connection.create_function(
        "guanxi_journey_holdout", 2, holdout_basis_points, deterministic=True
    )
    return f"guanxi_journey_holdout({key}, {column})"
