"""Queueing a broadcast: the cause (one ``Broadcast`` row) and one outbox row
per customer of the audience, in one transaction.

What is already certain is settled here, without decrypting anyone: marketing
without current consent on the channel, no address, an address suppressed
after a permanent failure. Those rows are kept as ``suppressed`` with their
reason; the rest are queued and checked again when they are sent.

Where the address is a column of the customer (e-mail, SMS, phone) or none is
needed (webhook, the WeCom robot), the rows are written by the database: one
``INSERT … SELECT`` over the audience, the reason a ``CASE`` (a million
customers in seconds rather than minutes). WeCom to customers, whose address
is a source identity suppressed by a keyed hash, goes row by row in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from guanxi.customers.selectors import customer_rows, identity_external_id
from guanxi.messaging.choices import (
    ConsentChannel,
    MessageChannel,
    MessageStatus,
    Purpose,
    SuppressReason,
)
from guanxi.messaging.models import Broadcast, Message, SuppressedAddress
from guanxi.messaging.outbox import QueueCount, idempotency_key, suppressed_indexes
from guanxi.messaging.rendering import MessageTemplate
from guanxi.messaging.rules import (
    WECOM_SOURCE,
    address_index_field,
    consent_channel,
    needs_address,
    wecom_index,
)
from guanxi.messaging.selectors import consent_latest

CHUNK = 5000
WECOM_ID = "wecom_id"


def _address_key(channel: str) -> str | None:
    """The row's key that holds the address: a blind-index column of the
    customer, or the WeCom id (a source identity); None: no address needed."""
    if channel == MessageChannel.WECOM and needs_address(channel):
        return WECOM_ID
    return address_index_field(channel)


def _rows(customers: QuerySet[Any], *, channel: str, purpose: str) -> QuerySet[Any]:
    fields = ["pk", "preferred_channel", "language"]
    annotations: dict[str, Any] = {}
    key = _address_key(channel)
    if key == WECOM_ID:
        annotations[WECOM_ID] = identity_external_id(source=WECOM_SOURCE)
    elif key:
        fields.append(key)
    if purpose == Purpose.MARKETING:
        wanted = (
            ConsentChannel.values if channel == MessageChannel.WEBHOOK else [channel]
        )
        annotations.update(
            {
                f"consent_{c}": consent_latest(purpose=Purpose.MARKETING, channel=c)
                for c in wanted
            }
        )
    rows = customers.order_by("pk")
    if annotations:
        rows = rows.annotate(**annotations)
    return rows.values(*fields, *annotations)


def _index(row: dict[str, Any], index_field: str | None) -> str:
    """The row's address blind index ("" when it has none)."""
    if index_field == WECOM_ID:
        return wecom_index(str(row.get(WECOM_ID) or ""))
    return str(row.get(index_field) or "") if index_field else ""


def _reason(
    row: dict[str, Any],
    *,
    channel: str,
    purpose: str,
    index_field: str | None,
    suppressed: set[str],
) -> str:
    if index_field is not None:
        index = _index(row, index_field)
        if not index:
            return SuppressReason.NO_ADDRESS
        if index in suppressed:
            return SuppressReason.ADDRESS_SUPPRESSED
    if purpose == Purpose.MARKETING:
        needed = consent_channel(channel, row["preferred_channel"])
        if needed is None or not row.get(f"consent_{needed}"):
            return SuppressReason.NO_CONSENT
    return ""


def _key_sqlite(cause: str, customer_id: int, channel: str) -> str:
    return idempotency_key(cause=cause, customer_id=customer_id, channel=channel)


def _key_sql(column: str) -> str:
    """SQL for :func:`idempotency_key` of the row's customer id ``column``
    (params: cause, channel): the same 40 hex digits as in Python."""
    if connection.vendor == "postgresql":
        return (
            "substr(encode(sha256(convert_to(%s || '|' || "
            f"{column}::text || '|' || %s, 'UTF8')), 'hex'), 1, 40)"
        )
    # SQLite has no SHA-256: the Python function, registered on the connection.
    connection.ensure_connection()
    connection.connection.create_function(
        "guanxi_idempotency_key", 3, _key_sqlite, deterministic=True
    )
    return f"guanxi_idempotency_key(%s, {column}, %s)"


def _consent_needed(channel: str) -> Any:
    """The customer's current marketing consent on the channel the message
    needs it for (a webhook: the preferred channel), as an expression."""
    if channel != MessageChannel.WEBHOOK:
        return Coalesce(
            consent_latest(purpose=Purpose.MARKETING, channel=channel), Value(False)
        )
    return Case(
        *[
            When(
                preferred_channel=c,
                then=Coalesce(
                    consent_latest(purpose=Purpose.MARKETING, channel=c), Value(False)
                ),
            )
            for c in ConsentChannel.values
        ],
        default=Value(False),
    )


def _reason_sql(
    customers: QuerySet[Any], *, channel: str, purpose: str, index_field: str | None
) -> tuple[str, tuple[Any, ...]]:
    """SELECT customer id, reason ('' to send) for the audience."""
    whens = []
    if index_field is not None:
        whens += [
            When(
                Q(**{f"{index_field}__isnull": True}) | Q(**{index_field: ""}),
                then=Value(SuppressReason.NO_ADDRESS.value),
            ),
            When(
                Exists(
                    SuppressedAddress.objects.filter(
                        channel=channel, address_index=OuterRef(index_field)
                    )
                ),
                then=Value(SuppressReason.ADDRESS_SUPPRESSED.value),
            ),
        ]
    if purpose == Purpose.MARKETING:
        whens.append(
            When(Q(consent_ok=False), then=Value(SuppressReason.NO_CONSENT.value))
        )
        customers = customers.annotate(consent_ok=_consent_needed(channel))
    reason = Case(*whens, default=Value("")) if whens else Value("")
    rows = customers.order_by().annotate(
        qcid=F("pk"), qreason=reason, qlang=F("language")
    )
    sql, params = rows.values("qcid", "qreason", "qlang").query.sql_with_params()
    return sql, tuple(params)


def _insert_select(
    customers: QuerySet[Any],
    *,
    broadcast: Broadcast,
    channel: str,
    purpose: str,
    index_field: str | None,
    now: dt.datetime,
) -> None:
    cause = str(broadcast)
    select, params = _reason_sql(
        customers, channel=channel, purpose=purpose, index_field=index_field
    )
    table = connection.ops.quote_name(Message._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"INSERT INTO {table} (cause, broadcast_id, customer_id, channel, purpose, "
        "idempotency_key, status, reason, attempts, next_attempt_at, lease_token, "
        "last_error, created_at, provider_id, language, template_values) "
        f"SELECT %s, %s, a.qcid, %s, %s, {_key_sql('a.qcid')}, "
        "CASE WHEN a.qreason = '' THEN %s ELSE %s END, a.qreason, 0, %s, '', '', "
        f"%s, '', '', '{{}}' FROM ({select}) a"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                cause,
                broadcast.pk,
                channel,
                purpose,
                cause,
                channel,
                MessageStatus.QUEUED.value,
                MessageStatus.SUPPRESSED.value,
                adapt(now),
                adapt(now),
                *params,
            ],
        )


def _counted(broadcast: Broadcast) -> QueueCount:
    count = QueueCount()
    rows = (
        Message.objects.filter(broadcast=broadcast)
        .order_by()
        .values("reason")
        .annotate(n=Count("id"))
    )
    for row in rows:
        if row["reason"]:
            count.suppressed[row["reason"]] = row["n"]
        else:
            count.queued = row["n"]
    return count


def _parts(customers: QuerySet[Any], ids: list[int] | None) -> list[QuerySet[Any]]:
    """The audience, or the listed ids of it in chunks (a file's list)."""
    if ids is None:
        return [customers]
    return [
        customers.filter(pk__in=ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)
    ]


def _settled(
    customers: QuerySet[Any],
    *,
    channel: str,
    purpose: str,
    ids: list[int] | None,
) -> Iterator[list[tuple[dict[str, Any], str]]]:
    """The audience in chunks, each customer's row with the reason it is
    suppressed ("" when it is queued), settled in Python: the path of WeCom
    to customers (the address a source identity), shared by queueing and its
    dry run."""
    index_field = _address_key(channel)
    chunk: list[dict[str, Any]] = []

    def settle() -> list[tuple[dict[str, Any], str]]:
        suppressed = (
            suppressed_indexes(channel, (_index(r, index_field) for r in chunk))
            if index_field
            else set()
        )
        return [
            (
                row,
                _reason(
                    row,
                    channel=channel,
                    purpose=purpose,
                    index_field=index_field,
                    suppressed=suppressed,
                ),
            )
            for row in chunk
        ]

    for part in _parts(customers, ids):
        for row in _rows(part, channel=channel, purpose=purpose).iterator(
            chunk_size=CHUNK
        ):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                yield settle()
                chunk = []
    if chunk:
        yield settle()


def broadcast_dry_run(
    *,
    channel: str,
    purpose: str,
    customers: QuerySet[Any],
    ids: list[int] | None = None,
) -> QueueCount:
    """What :func:`broadcast_queue` would count, writing nothing: who would be
    queued and who suppressed, and why (the same reasons, from the same SQL or
    the same Python; consent, caps and quiet hours are checked again when each
    is sent)."""
    count = QueueCount()
    index_field = _address_key(channel)
    if index_field != WECOM_ID:
        for part in _parts(customers, ids):
            select, params = _reason_sql(
                part, channel=channel, purpose=purpose, index_field=index_field
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT a.qreason, a.qlang, COUNT(*) FROM ({select}) a "
                    "GROUP BY a.qreason, a.qlang",
                    params,
                )
                for reason, language, n in cursor.fetchall():
                    count.add(reason, n, language=language or "")
        return count
    for chunk in _settled(customers, channel=channel, purpose=purpose, ids=ids):
        for row, reason in chunk:
            count.add(reason, 1, language=row["language"] or "")
    return count


def broadcast_queue(
    *,
    channel: str,
    purpose: str,
    template: MessageTemplate,
    customers: QuerySet[Any],
    audience: str,
    ids: list[int] | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
    language: str = "",
    other: MessageTemplate | None = None,
    values: dict[int, dict[str, str]] | None = None,
) -> tuple[Broadcast, QueueCount]:
    """Write the broadcast and its messages; the counts by outcome.
    ``ids``: only these of ``customers`` (a list from a file, read in chunks).
    ``values``: each customer's own template values (a journey's coupon
    code, a recommended product), written with their message.
    ``template`` is in ``language`` ("": not known); ``other``: the version
    in the other language, for the customers who read it (chosen for each
    when it is sent)."""
    now = now or timezone.now()
    index_field = _address_key(channel)
    count = QueueCount()
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            channel=channel,
            purpose=purpose,
            subject=template.subject,
            body=template.body,
            language=language,
            subject_other=other.subject if other else "",
            body_other=other.body if other else "",
            audience=audience[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        if index_field != WECOM_ID and values is None:
            for part in _parts(customers, ids):
                _insert_select(
                    part,
                    broadcast=broadcast,
                    channel=channel,
                    purpose=purpose,
                    index_field=index_field,
                    now=now,
                )
            return broadcast, _counted(broadcast)
        for chunk in _settled(customers, channel=channel, purpose=purpose, ids=ids):
            _messages_write(
                chunk, broadcast=broadcast, count=count, now=now, values=values
            )
    return broadcast, count


def _messages_write(
    chunk: Any,
    *,
    broadcast: Broadcast,
    count: QueueCount,
    now: dt.datetime,
    links: dict[int, str] | None = None,
    values: dict[int, dict[str, str]] | None = None,
) -> None:
    """Write one message of ``broadcast`` per settled ``(row, reason)`` of
    ``chunk`` (queued, or suppressed with its reason), counted in ``count``;
    ``links``: each customer's own link (``{{ survey_url }}``); ``values``:
    each customer's own template values."""
    cause = str(broadcast)
    messages = []
    for row, reason in chunk:
        if reason:
            count.suppressed[reason] = count.suppressed.get(reason, 0) + 1
        else:
            count.queued += 1
        messages.append(
            Message(
                cause=cause,
                broadcast=broadcast,
                customer_id=row["pk"],
                channel=broadcast.channel,
                purpose=broadcast.purpose,
                idempotency_key=idempotency_key(
                    cause=cause, customer_id=row["pk"], channel=broadcast.channel
                ),
                status=MessageStatus.SUPPRESSED if reason else MessageStatus.QUEUED,
                reason=reason,
                link=links[row["pk"]] if links is not None else "",
                template_values=(values or {}).get(row["pk"]) or {},
                next_attempt_at=now,
                created_at=now,
            )
        )
    Message.objects.bulk_create(messages, batch_size=1000)


def personal_queue(
    *,
    channel: str,
    purpose: str,
    template: MessageTemplate,
    links: dict[int, str],
    audience: str,
    actor: Any = None,
    now: dt.datetime | None = None,
    language: str = "",
    other: MessageTemplate | None = None,
) -> tuple[QueueCount, dict[int, int]]:
    """Write one broadcast and one message per customer of ``links``, each
    carrying its own link (``{{ survey_url }}``): the counts by outcome and
    each customer's message id. The same reasons as :func:`broadcast_queue`
    settle who is suppressed now; the rest are checked again at send time.
    ``template`` is in ``language``; ``other``: the version in the other
    language (each customer gets theirs when it is sent)."""
    now = now or timezone.now()
    count = QueueCount()
    ids = sorted(links)
    made: dict[int, int] = {}
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            channel=channel,
            purpose=purpose,
            subject=template.subject,
            body=template.body,
            language=language,
            subject_other=other.subject if other else "",
            body_other=other.body if other else "",
            audience=audience[:200],
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        customers = customer_rows()
        for chunk in _settled(customers, channel=channel, purpose=purpose, ids=ids):
            _messages_write(
                chunk, broadcast=broadcast, count=count, now=now, links=links
            )
        made.update(
            Message.objects.filter(broadcast=broadcast).values_list("customer_id", "pk")
        )
    return count, made
