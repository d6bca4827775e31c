"""The outbox: intents to send written with their cause, claimed by workers
with a lease, and finished by the worker that holds the lease.

A claim is one statement: ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING
id``, with ``FOR UPDATE SKIP LOCKED`` in the subquery on PostgreSQL (two
workers pass each other's rows by) and SQLite's single writer making it atomic
there. A claim takes due queued messages and messages whose lease lapsed (their
worker died): nothing stays ``sending`` after its lease. Every finishing write
names the lease's token, so a worker whose lease lapsed and was claimed again
cannot overwrite the new holder's outcome.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from guanxi.messaging.choices import MessageStatus
from guanxi.messaging.models import Message, SuppressedAddress


def idempotency_key(*, cause: str, customer_id: int, channel: str) -> str:
    """One key per (cause, customer, channel): the same on every attempt."""
    raw = f"{cause}|{customer_id}|{channel}".encode()
    return hashlib.sha256(raw).hexdigest()[:40]


@dataclass
class QueueCount:
    queued: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    #: Of the queued, how many by the customer's own language ("": the
    #: business's); counted by dry runs only.
    languages: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, n: int, *, language: str = "") -> None:
        """``n`` customers suppressed for ``reason`` ("" : queued)."""
        if reason:
            self.suppressed[reason] = self.suppressed.get(reason, 0) + n
            return
        self.queued += n
        self.languages[language] = self.languages.get(language, 0) + n

    def as_dict(self) -> dict[str, object]:
        return {
            "queued": self.queued,
            "suppressed": dict(sorted(self.suppressed.items())),
        }


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Capped exponential backoff with jitter: the ``attempts``-th failure
    waits between half and all of ``base × 2^(attempts-1)``, at most the cap
    ("equal jitter": never at once, never all together)."""
    base = float(settings.GUANXI_MESSAGE_RETRY_BASE_SECONDS)
    cap = float(settings.GUANXI_MESSAGE_RETRY_CAP_SECONDS)
    ceiling = min(cap, base * 2 ** max(0, attempts - 1))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def messages_claim(
    *, limit: int, lease_seconds: float | None = None, now: dt.datetime | None = None
) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due messages for this worker: (lease token, ids)."""
    now = now or timezone.now()
    lease = (
        lease_seconds
        if lease_seconds is not None
        else settings.GUANXI_MESSAGE_LEASE_SECONDS
    )
    token = secrets.token_hex(16)
    table = connection.ops.quote_name(Message._meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"UPDATE {table} SET status = %s, lease_until = %s, lease_token = %s, "
        f"attempts = attempts + 1 WHERE id IN ("
        f"SELECT id FROM {table} WHERE (status = %s AND next_attempt_at <= %s) "
        f"OR (status = %s AND lease_until < %s) "
        f"ORDER BY next_attempt_at, id LIMIT %s{skip_locked}) RETURNING id"
    )
    params = [
        MessageStatus.SENDING.value,
        adapt(now + dt.timedelta(seconds=lease)),
        token,
        MessageStatus.QUEUED.value,
        adapt(now),
        MessageStatus.SENDING.value,
        adapt(now),
        limit,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = sorted(row[0] for row in cursor.fetchall())
    return token, ids


def messages_renew(
    *,
    ids: list[int],
    token: str,
    lease_seconds: float | None = None,
    now: dt.datetime | None = None,
) -> set[int]:
    """Extend the lease on the claimed messages not yet sent; the ids still
    held (a message whose lease lapsed may have been claimed by another
    worker: it is not this worker's to send any more)."""
    now = now or timezone.now()
    lease = (
        lease_seconds
        if lease_seconds is not None
        else settings.GUANXI_MESSAGE_LEASE_SECONDS
    )
    held = Message.objects.filter(
        pk__in=ids, lease_token=token, status=MessageStatus.SENDING
    )
    with transaction.atomic():
        held.update(lease_until=now + dt.timedelta(seconds=lease))
        return set(held.values_list("pk", flat=True))


def _held(message_id: int, token: str):  # type: ignore[no-untyped-def]
    return Message.objects.filter(
        pk=message_id, lease_token=token, status=MessageStatus.SENDING
    )


def _finished(**values: object) -> dict[str, object]:
    return {"lease_until": None, "lease_token": "", **values}


def message_sent(
    *,
    message_id: int,
    token: str,
    now: dt.datetime | None = None,
    provider_id: str = "",
    language: str = "",
) -> bool:
    done = _held(message_id, token).update(
        **_finished(
            status=MessageStatus.SENT,
            sent_at=now or timezone.now(),
            last_error="",
            provider_id=provider_id[:64],
            language=language,
        )
    )
    return bool(done)


def message_retry(
    *,
    message_id: int,
    token: str,
    code: str,
    attempts: int,
    now: dt.datetime | None = None,
    rng: random.Random | None = None,
) -> bool:
    """A temporary failure: queued again after a backoff, or failed once
    ``GUANXI_MESSAGE_MAX_ATTEMPTS`` attempts are spent."""
    now = now or timezone.now()
    if attempts >= int(settings.GUANXI_MESSAGE_MAX_ATTEMPTS):
        return message_failed(message_id=message_id, token=token, code=code)
    later = now + dt.timedelta(seconds=backoff_seconds(attempts, rng=rng))
    done = _held(message_id, token).update(
        **_finished(
            status=MessageStatus.QUEUED, next_attempt_at=later, last_error=code[:200]
        )
    )
    return bool(done)


def message_failed(
    *,
    message_id: int,
    token: str,
    code: str,
    suppress: tuple[str, str] | None = None,
) -> bool:
    """A permanent failure; ``suppress`` = (channel, address blind index):
    nothing more is sent to that address."""
    with transaction.atomic():
        done = _held(message_id, token).update(
            **_finished(status=MessageStatus.FAILED, last_error=code[:200])
        )
        if done and suppress is not None:
            address_suppress(channel=suppress[0], index=suppress[1], code=code)
    return bool(done)


def address_suppress(*, channel: str, index: str, code: str) -> bool:
    """Nothing more is sent to the address of blind index ``index`` on
    ``channel`` (a permanent failure, a hard bounce); whether it is new."""
    if not index:
        return False
    _row, created = SuppressedAddress.objects.get_or_create(
        channel=channel, address_index=index, defaults={"code": code[:200]}
    )
    return created


def suppressions_rekey(*, remap: Mapping[str, str]) -> int:
    """The suppressed addresses known by an old blind index (a key in
    ``remap``) are known by the new one from now on (the blind-index key
    changed; ``guanxi keys rotate --blind-index``); how many moved."""
    moved = 0
    olds = sorted(remap)
    for start in range(0, len(olds), 500):
        rows = SuppressedAddress.objects.filter(
            address_index__in=olds[start : start + 500]
        ).values_list("pk", "address_index")
        for pk, old in list(rows):
            moved += SuppressedAddress.objects.filter(pk=pk).update(
                address_index=remap[old]
            )
    return moved


def message_suppressed(*, message_id: int, token: str, reason: str) -> bool:
    done = _held(message_id, token).update(
        **_finished(status=MessageStatus.SUPPRESSED, reason=reason)
    )
    return bool(done)


def message_defer(*, message_id: int, token: str, until: dt.datetime) -> bool:
    """Not now (quiet hours): queued again for ``until``; not an attempt."""
    done = _held(message_id, token).update(
        **_finished(
            status=MessageStatus.QUEUED,
            next_attempt_at=until,
            attempts=F("attempts") - 1,
        )
    )
    return bool(done)


def suppressed_indexes(channel: str, indexes: Iterable[str]) -> set[str]:
    wanted = [i for i in indexes if i]
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            SuppressedAddress.objects.filter(
                channel=channel, address_index__in=wanted[start : start + 500]
            ).values_list("address_index", flat=True)
        )
    return found
