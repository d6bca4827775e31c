"""Writes to the audit log: :func:`record`, and one function per kind of event
that the apps call where the event happens (in the same transaction as the
action when it has one).

An event names the customer by number and the object by type and id; its
``details`` hold counts, codes and the *names* of fields, settings and filters
— never a value a person typed about a customer. :func:`record` refuses any
other key or any value that is not a short code, so a careless caller fails
in its tests instead of writing a phone number into the log.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from django.db import transaction

from guanxi.access.policies import policy_for, role_of
from guanxi.audit.choices import AuditAction
from guanxi.audit.models import AuditEvent, AuditRefused
from guanxi.audit.signals import alert_raised

__all__ = [
    "AuditAction",
    "AuditRefused",
    "alert_raised",
    "audit_purge",
    "bulk_read",
    "consent_recorded",
    "contact_searched",
    "customer_edited",
    "customer_viewed",
    "durable_events",
    "export_finished",
    "filter_names",
    "key_pruned",
    "key_rotated",
    "login_unlocked",
    "manager_assigned",
    "record",
    "scope_conflict_recorded",
    "search_alert",
    "settings_changed",
    "staff_changed",
]

#: The keys ``details`` may hold. Each value is a number, a boolean, None, a
#: short code (letters, digits, ``_ . : -``) or a list of codes.
DETAIL_KEYS = frozenset(
    {
        "via",  # web, api, admin, cli, bulk
        "kind",
        "format",
        "rows",
        "status",
        "role_applied",
        "filters",
        "for_people",
        "settings",
        "fields",
        "from_role",
        "to_role",
        "manager_id",
        "count",
        "purpose",
        "channel",
        "granted",
        "source",
        "key_id",
        "reencrypted",
        "window_minutes",
        "times",
    }
)
_CODE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
#: Query parameters that are paging, not a filter.
_NOT_FILTERS = frozenset({"after", "before", "page", "format", "lang"})
MAX_LIST = 50


def _check_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str) and (value == "" or _CODE.fullmatch(value)):
        return value
    if isinstance(value, list | tuple) and len(value) <= MAX_LIST:
        return [_check_value(key, item) for item in value]
    raise ValueError(f"audit detail {key!r} must be a number or a short code")


def _details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if key not in DETAIL_KEYS:
            raise ValueError(f"audit details may not hold {key!r}")
        checked[key] = _check_value(key, value)
    return checked


def record(
    *,
    action: AuditAction | str,
    actor: Any,
    customer_id: int | None = None,
    object_type: str = "",
    object_id: Any = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event: ``actor`` (a user, or None for the system) with the
    role they work in now, ``action``, the customer's number if any, the
    object, and ``details`` (see :data:`DETAIL_KEYS`)."""
    action = AuditAction(action)
    user = actor if getattr(actor, "pk", None) is not None else None
    role = role_of(user) if user is not None else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=user.get_username() if user is not None else "",
        role=role.value if role is not None else "",
        action=action,
        customer_id=customer_id,
        object_type=object_type,
        object_id=str(object_id or "")[:64],
        details=_details(details),
    )


def audit_purge(*, before: Any, dry_run: bool) -> int:
    """Remove the entries older than ``before`` (retention); never one younger
    than :data:`~guanxi.audit.selectors.AUDIT_RETENTION_YEARS` years (a later
    ``before`` is moved back to that limit, and on PostgreSQL the trigger
    refuses it too). The number of entries (that would go, on a dry run)."""
    from django.db import connection, models, transaction

    from guanxi.audit.selectors import audit_retention_cutoff

    before = min(before, audit_retention_cutoff())
    # The log's own queryset refuses deletes; a plain one is the one way.
    old: models.QuerySet[AuditEvent] = models.QuerySet(AuditEvent).filter(at__lt=before)
    if dry_run:
        return old.count()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL guanxi.retention = 'on'")
        deleted = old.delete()[0]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL guanxi.retention = 'off'")
    return int(deleted)


def filter_names(query: str) -> list[str]:
    """The names of the filters a list's query string sets (``city``, ``q``,
    ``ids``) — never their values, which may be a phone number or a name."""
    names = {
        key
        for key, value in parse_qsl(query or "", keep_blank_values=False)
        if value.strip() and key not in _NOT_FILTERS and _CODE.fullmatch(key)
    }
    return sorted(names)[:MAX_LIST]


def customer_viewed(*, actor: Any, customer_id: int, via: str) -> AuditEvent | None:
    """``actor`` opened a customer with their personal fields unmasked (the
    customer page, the API's detail): one event per view. Roles that see the
    fields masked or not at all leave no event."""
    if not policy_for(actor).sees_contact_data:
        return None
    return record(
        action=AuditAction.CUSTOMER_VIEWED,
        actor=actor,
        customer_id=customer_id,
        object_type="customer",
        object_id=customer_id,
        details={"via": via},
    )


def customer_edited(
    *, actor: Any, customer_id: int, fields: Iterable[str]
) -> AuditEvent:
    """A customer's fields changed through the normal edit (rectification):
    the names of the fields, never their values."""
    return record(
        action=AuditAction.CUSTOMER_EDITED,
        actor=actor,
        customer_id=customer_id,
        object_type="customer",
        object_id=customer_id,
        details={"fields": sorted(fields)[:MAX_LIST]},
    )


def export_finished(
    *,
    actor: Any,
    export_id: int | None,
    kind: str,
    fmt: str,
    rows: int,
    role_applied: str,
    query: str = "",
    status: str = "done",
    for_people: bool = False,
) -> AuditEvent:
    """An export ended (done, or failed after some rows): one event per
    export, with its row count, the role whose view it applied and the names
    of its filters."""
    return record(
        action=AuditAction.EXPORTED,
        actor=actor,
        object_type="export",
        object_id=export_id or "",
        details={
            "kind": kind,
            "format": fmt,
            "rows": rows,
            "status": status,
            "role_applied": role_applied,
            "filters": filter_names(query),
            "for_people": for_people,
        },
    )


def manager_assigned(
    *,
    actor: Any,
    manager_id: int | None,
    customer_id: int | None = None,
    count: int = 1,
    via: str = "web",
    bulk_id: int | None = None,
) -> AuditEvent:
    """A customer's account manager changed (who sees them): one customer, or
    ``count`` customers of a bulk action (their numbers are in its run)."""
    return record(
        action=AuditAction.MANAGER_ASSIGNED,
        actor=actor,
        customer_id=customer_id,
        object_type="customer" if bulk_id is None else "bulk_action",
        object_id=customer_id if bulk_id is None else bulk_id,
        details={"manager_id": manager_id, "count": count, "via": via},
    )


def staff_changed(
    *,
    actor: Any,
    action: AuditAction,
    user: Any,
    from_role: str = "",
    to_role: str = "",
    via: str = "web",
) -> AuditEvent:
    """A colleague was added, changed role, or was deactivated/reactivated."""
    return record(
        action=action,
        actor=actor,
        object_type="user",
        object_id=user.pk,
        details={"from_role": from_role, "to_role": to_role, "via": via},
    )


def settings_changed(
    *, actor: Any, settings: str, fields: Iterable[str], via: str = "web"
) -> AuditEvent | None:
    """Some of the business's settings changed: the names of the settings, not
    their values (a key or a password must not land in the log). Nothing
    changed, no event."""
    names = sorted(set(fields))
    if not names:
        return None
    return record(
        action=AuditAction.SETTINGS_CHANGED,
        actor=actor,
        object_type="settings",
        object_id=settings,
        details={"settings": settings, "fields": names, "via": via},
    )


def consent_recorded(*, consent: Any, actor: Any = None) -> AuditEvent:
    """A statement of consent was appended to the ledger (its evidence stays
    in the ledger: it may quote a person)."""
    return record(
        action=AuditAction.CONSENT_RECORDED,
        actor=actor,
        customer_id=consent.customer_id,
        object_type="consent",
        object_id=consent.pk,
        details={
            "purpose": consent.purpose,
            "channel": consent.channel,
            "granted": bool(consent.granted),
            "source": consent.source,
        },
    )


def key_rotated(*, actor: Any, key_id: str, reencrypted: int) -> AuditEvent:
    """A new key became primary and ``reencrypted`` values were encrypted
    with it (for the key rotation command, when it exists)."""
    return record(
        action=AuditAction.KEY_ROTATED,
        actor=actor,
        object_type="key",
        object_id=key_id,
        details={"key_id": key_id, "reencrypted": reencrypted, "via": "cli"},
    )


def key_pruned(*, actor: Any, key_ids: list[str], removed: bool) -> AuditEvent:
    """Retired blind-index keys no erased contact names were dropped from the
    key file (``removed``), or found removable from the environment (by id:
    never key material)."""
    return record(
        action=AuditAction.KEY_PRUNED,
        actor=actor,
        object_type="key",
        object_id=",".join(key_ids)[:64],
        details={
            "key_id": key_ids,
            "count": len(key_ids),
            "status": "removed" if removed else "removable",
            "via": "cli",
        },
    )


# --- side doors (issue 13, item 7) --------------------------------------------

_F = TypeVar("_F", bound=Callable[..., Any])
_held = threading.local()
alert_log = logging.getLogger("guanxi.audit")


def durable_events(service: _F) -> _F:
    """For a service that refuses a write inside its own transaction: the
    events it records with :func:`scope_conflict_recorded` are written after
    that transaction ends, so that the refusal's rollback does not take them
    along. Called inside a caller's transaction they are written there (and
    go with it if the caller rolls back)."""

    @functools.wraps(service)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_held, "events", None)
        _held.events = [] if outer is None else outer
        try:
            return service(*args, **kwargs)
        finally:
            if outer is None:
                events, _held.events = _held.events, None
                for event in events:
                    record(**event)

    return wrapped  # type: ignore[return-value]


def scope_conflict_recorded(
    *, actor: Any, kind: str, object_type: str, object_id: int
) -> None:
    """``actor`` wrote a ``kind`` of value (``phone``, ``email``,
    ``order_id``) that a record outside their scope holds: an event for an
    administrator to resolve (never the value). Held until the refusing
    service's transaction ends (:func:`durable_events`)."""
    event = {
        "action": AuditAction.SCOPE_CONFLICT,
        "actor": actor,
        "object_type": object_type,
        "object_id": object_id,
        "details": {"kind": kind},
    }
    held = getattr(_held, "events", None)
    if held is None:
        record(**event)
    else:
        held.append(event)


def contact_searched(*, actor: Any, kind: str) -> AuditEvent:
    """An exact search by contact value: the kind (``phone``, ``email``),
    never the value."""
    return record(
        action=AuditAction.CONTACT_SEARCHED, actor=actor, details={"kind": kind}
    )


def search_alert(*, actor: Any, count: int, window_minutes: int) -> AuditEvent:
    """``actor`` searched by contact value ``count`` times within
    ``window_minutes``: an alert for the administrators (the audit page, a
    warning on the ``guanxi.audit`` logger for the operators' alerting, and,
    after the commit, :data:`alert_raised`: an e-mail to them when e-mail is
    set up)."""
    alert_log.warning(
        "unusual contact searches: user #%s searched %s times in %s minutes",
        getattr(actor, "pk", None),
        count,
        window_minutes,
    )
    event = record(
        action=AuditAction.SEARCH_ALERT,
        actor=actor,
        object_type="user",
        object_id=getattr(actor, "pk", ""),
        details={"times": count, "window_minutes": window_minutes},
    )
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: alert_raised.send(
            sender=None,
            action=str(AuditAction.SEARCH_ALERT),
            actor_id=actor_id,
            details={"times": count, "window_minutes": window_minutes},
        ),
        robust=True,
    )
    return event


def bulk_read(*, actor: Any, count: int, window_minutes: int, kind: str) -> AuditEvent:
    """``actor`` made ``count`` API reads within ``window_minutes`` (the
    latest of ``kind``): a bulk read."""
    role = role_of(actor)
    return record(
        action=AuditAction.BULK_READ,
        actor=actor,
        details={
            "times": count,
            "window_minutes": window_minutes,
            "kind": kind,
            "role_applied": role.value if role is not None else "",
            "via": "api",
        },
    )


def login_unlocked(*, actor: Any, user: Any) -> AuditEvent:
    """An administrator lifted ``user``'s login lockout."""
    return record(
        action=AuditAction.LOGIN_UNLOCKED,
        actor=actor,
        object_type="user",
        object_id=user.pk,
    )
