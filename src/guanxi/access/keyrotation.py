"""Key rotation: a new key made primary and everything under the old one
rewritten, in batches that survive being killed.

Three keys, three jobs:

- the **encryption key**: a new key id becomes primary (the embedded key file
  gets a new key; in production the operator puts it in the environment),
  then every encrypted column of every model is re-encrypted under it
  (:mod:`guanxi.core.keyring`). Old and new keys both stay in the ring, so
  every row reads throughout; afterwards the old key decrypts only backups.
- the **blind-index key**: a new key (with a new id), then every customer's
  search keys are computed again from the decrypted values, and the
  suppression list follows the phone and e-mail indexes it is keyed by. The
  old key is kept, retired: erased people's keyed hashes cannot be made again
  under the new key (their values are gone), so they are checked under the key
  of their day as long as one names it; :func:`key_prune` drops retired keys
  no erased contact names any more. The keyed ids of imported interactions
  (:mod:`guanxi.ingest.rowids`) cannot be made again either: they stay under
  their key, which prune keeps while one names it.
- the **pseudonym key**: a new key, then every customer's stored pseudonym.

One batch is one transaction, committed with the rotation's progress
(:class:`~guanxi.access.models.KeyRotation`); a rotation that was killed or
stopped (``max_batches``) is resumed by running it again. One rotation runs at
a time: a lock that dies with its process (a PostgreSQL advisory lock, or a
lock on a file beside the SQLite database), so a killed rotation's lock does
not outlive it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.access.choices import KeyKind
from guanxi.access.models import KeyRotation
from guanxi.audit.services import key_pruned, key_rotated
from guanxi.core.crypto import (
    BLIND_INDEX_FIRST_ID,
    blind_index_keys,
    keyring_forget,
    parse_key_list,
)
from guanxi.core.errors import DomainError, ValidationFailed
from guanxi.core.keyring import (
    KEY_ID_PATTERN,
    EncryptedColumns,
    encrypted_file_stores,
    encrypted_models,
    key_ids_in_use,
    keyfile_read,
    keyfile_write,
    new_key,
    reencrypt_batch,
)
from guanxi.customers.services import (
    customer_pseudonyms_rebuild,
    customer_search_keys_rebuild,
    customers_total,
)
from guanxi.ingest.services import generated_id_keys
from guanxi.messaging.services import suppressions_rekey
from guanxi.privacy.selectors import erased_key_counts

__all__ = [
    "BATCH_ROWS",
    "BlindKey",
    "KeyStatus",
    "PruneResult",
    "RotationBusy",
    "RotationResult",
    "key_prune",
    "key_rotate",
    "key_status",
    "rotate_flag",
]

#: Rows per batch (one transaction each): bounded memory, short write locks.
BATCH_ROWS = 500
#: The advisory lock's number on PostgreSQL (any constant the app owns).
_PG_LOCK = 0x6775_616E_6B65_7973 & 0x7FFF_FFFF_FFFF_FFFF  # "guankeys"
_CUSTOMERS = "customers.Customer"

Progress = Callable[[int, int], None]


class RotationBusy(DomainError):
    """Another rotation holds the lock, or one of another key is unfinished."""

    status_code = 409


@dataclass(frozen=True)
class RotationResult:
    kind: str
    key_id: str
    count: int
    finished: bool


@dataclass(frozen=True)
class BlindKey:
    """A blind-index key by id (never its value): the current one, a retired
    one kept (and the day it was retired), or one erased contacts name that is
    not configured any more (``missing``: those rows match nothing)."""

    key_id: str
    state: str  # "current", "retired" or "missing"
    retired_on: str
    erased_contacts: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "state": self.state,
            "retired_on": self.retired_on or None,
            "erased_contacts": self.erased_contacts,
        }


@dataclass(frozen=True)
class KeyStatus:
    primary: str
    configured: tuple[str, ...]
    values_by_key: dict[str, int]
    key_file: str | None
    unfinished: KeyRotation | None
    last: dict[str, KeyRotation]
    blind_keys: tuple[BlindKey, ...] = ()


@dataclass(frozen=True)
class PruneResult:
    """The retired blind-index keys no erased contact names: dropped from the
    key file, or (keys from the environment) to be removed by the operator."""

    dropped: tuple[str, ...]
    removable: tuple[str, ...]
    kept: tuple[str, ...]


@contextlib.contextmanager
def _rotation_lock() -> Iterator[None]:
    busy = _("another key rotation is running: wait for it to finish")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_PG_LOCK])
            if not cursor.fetchone()[0]:
                raise RotationBusy(busy)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK])
        return
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        name = str(Path(settings.DATA_DIR) / "memory.sqlite3")
    fd = os.open(f"{name}.keys-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationBusy(busy) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _key_file() -> Path | None:
    path = getattr(settings, "GUANXI_KEY_FILE", None)
    return Path(path) if path else None


def _settings_from_file(path: Path) -> None:
    """This process's settings follow the key file just written."""
    data = keyfile_read(path)
    settings.GUANXI_ENCRYPTION_KEYS = parse_key_list(data["encryption_keys"])
    settings.GUANXI_ENCRYPTION_KEY_ID = data["encryption_key_id"]
    settings.GUANXI_BLIND_INDEX_KEY = data["blind_index_key"].encode("ascii")
    (
        settings.GUANXI_BLIND_INDEX_KEY_ID,
        settings.GUANXI_BLIND_INDEX_KEYS_RETIRED,
        settings.GUANXI_BLIND_INDEX_RETIRED_ON,
    ) = blind_index_keys(data, {})
    settings.GUANXI_PSEUDONYM_KEY = data["pseudonym_key"].encode("ascii")
    keyring_forget()


def rotate_flag(kind: str) -> str:
    """What follows ``guanxi keys rotate`` to rotate the key ``kind``."""
    return {
        KeyKind.ENCRYPTION: "",
        KeyKind.BLIND_INDEX: " --blind-index",
        KeyKind.PSEUDONYM: " --pseudonym",
    }[KeyKind(kind)]


def _unknown(key_id: str) -> ValidationFailed:
    return ValidationFailed(
        _("unknown key id %(key_id)s (configured: %(known)s)")
        % {
            "key_id": key_id,
            "known": ", ".join(sorted(settings.GUANXI_ENCRYPTION_KEYS)),
        }
    )


def _next_key_id(known: dict[str, bytes]) -> str:
    n = len(known) + 1
    while f"k{n}" in known:
        n += 1
    return f"k{n}"


def _encryption_target(key_id: str | None) -> str:
    """Make the new primary key (or check it) and return its id."""
    configured = dict(settings.GUANXI_ENCRYPTION_KEYS)
    if key_id is not None and not KEY_ID_PATTERN.fullmatch(key_id):
        raise _unknown(key_id)
    path = _key_file()
    if path is None:
        # Keys from the environment: the operator made the new key primary.
        primary = settings.GUANXI_ENCRYPTION_KEY_ID
        if key_id is None:
            return str(primary)
        if key_id not in configured:
            raise _unknown(key_id)
        if key_id != primary:
            raise ValidationFailed(
                _(
                    "key %(key_id)s is not the primary key: set "
                    "GUANXI_ENCRYPTION_KEY_ID=%(key_id)s for every Guanxi process, "
                    "restart them, then run this again"
                )
                % {"key_id": key_id}
            )
        return key_id
    data = keyfile_read(path)
    if key_id is not None and key_id not in configured:
        raise _unknown(key_id)
    if key_id is None:
        key_id = _next_key_id(configured)
        data["encryption_keys"] = ",".join(
            [f"{key_id}={new_key()}", data["encryption_keys"]]
        )
    data["encryption_key_id"] = key_id
    keyfile_write(path, data)
    _settings_from_file(path)
    return key_id


def _next_blind_id(taken: set[str]) -> str:
    n = len(taken) + 1
    while f"b{n}" in taken:
        n += 1
    return f"b{n}"


def _blind_key_retire(data: dict[str, Any]) -> str:
    """In the key file's data: the blind-index key moves to the retired keys
    (with its id and today's date), a new one with a new id takes its place.
    The new key's id."""
    old_id = str(data.get("blind_index_key_id") or BLIND_INDEX_FIRST_ID)
    retired = [
        entry
        for entry in data.get("blind_index_keys_retired") or []
        if entry.get("id") != old_id
    ]
    retired.append(
        {
            "id": old_id,
            "key": data["blind_index_key"],
            "retired_on": timezone.localdate().isoformat(),
        }
    )
    new_id = _next_blind_id({old_id, *(str(e["id"]) for e in retired)})
    data["blind_index_keys_retired"] = retired
    data["blind_index_key_id"] = new_id
    data["blind_index_key"] = new_key()
    return new_id


def _blind_keys_check() -> None:
    """Keys from the environment: refuse a rotation that would leave erased
    people unmatched — a key erased contacts name that is configured neither
    as the current nor as a retired key, or a new key under an old id."""
    current = str(settings.GUANXI_BLIND_INDEX_KEY_ID)
    known = {current, *settings.GUANXI_BLIND_INDEX_KEYS_RETIRED}
    missing = sorted(set(erased_key_counts()) - known)
    if missing:
        raise ValidationFailed(
            _(
                "erased contacts are hashed under blind-index key %(ids)s, which "
                "is not configured: put it in GUANXI_BLIND_INDEX_KEYS_RETIRED, "
                "restart the Guanxi processes, then run this again"
            )
            % {"ids": ", ".join(missing)}
        )
    last = (
        KeyRotation.objects.filter(kind=KeyKind.BLIND_INDEX, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("key_id", flat=True)
        .first()
    )
    if current == (last or BLIND_INDEX_FIRST_ID):
        raise ValidationFailed(
            _(
                "the blind-index key id is still %(key_id)s: give the new key a "
                "new id (GUANXI_BLIND_INDEX_KEY_ID), put the old one in "
                "GUANXI_BLIND_INDEX_KEYS_RETIRED, restart the Guanxi processes, "
                "then run this again"
            )
            % {"key_id": current}
        )


def _hash_key_renew(kind: str) -> str:
    """A new blind-index or pseudonym key; the new blind-index key's id ("" for
    the pseudonym key)."""
    path = _key_file()
    if path is None:
        # From the environment: the operator set the new key already; the
        # rebuild computes everything under whatever key is configured.
        if kind == KeyKind.BLIND_INDEX:
            _blind_keys_check()
            return str(settings.GUANXI_BLIND_INDEX_KEY_ID)
        return ""
    data = keyfile_read(path)
    target = ""
    if kind == KeyKind.BLIND_INDEX:
        target = _blind_key_retire(data)
    else:
        data[f"{kind}_key"] = new_key()
    keyfile_write(path, data)
    _settings_from_file(path)
    return target


def _start(kind: str, *, actor: Any, key_id: str | None) -> KeyRotation:
    """The unfinished rotation of ``kind`` to resume, or a new one."""
    unfinished = KeyRotation.objects.filter(finished_at__isnull=True).first()
    if unfinished is not None and unfinished.kind != kind:
        raise RotationBusy(
            _(
                "a rotation of the %(key)s is unfinished: run "
                "'guanxi keys rotate%(flag)s' to finish it first"
            )
            % {
                "key": KeyKind(unfinished.kind).label,
                "flag": rotate_flag(unfinished.kind),
            }
        )
    if unfinished is not None:
        if kind == KeyKind.ENCRYPTION:
            if key_id is not None and key_id != unfinished.key_id:
                raise ValidationFailed(
                    _(
                        "the unfinished rotation re-encrypts under key "
                        "%(unfinished)s: run 'guanxi keys rotate' without "
                        "--key-id to finish it first"
                    )
                    % {"unfinished": unfinished.key_id}
                )
            if unfinished.key_id != settings.GUANXI_ENCRYPTION_KEY_ID:
                raise ValidationFailed(
                    _(
                        "the unfinished rotation re-encrypts under key "
                        "%(unfinished)s, but the primary key is %(primary)s"
                    )
                    % {
                        "unfinished": unfinished.key_id,
                        "primary": settings.GUANXI_ENCRYPTION_KEY_ID,
                    }
                )
        return unfinished
    if kind == KeyKind.ENCRYPTION:
        target = _encryption_target(key_id)
    else:
        target = _hash_key_renew(kind)
    return KeyRotation.objects.create(
        kind=kind,
        key_id=target,
        started_by=actor if getattr(actor, "pk", None) is not None else None,
    )


def _steps(kind: str) -> list[tuple[str, Callable[[Any], tuple[Any, int]]]]:
    """(label, one batch after a primary key → (last pk or None, rewritten))."""
    if kind == KeyKind.BLIND_INDEX:

        def search_keys(after: Any) -> tuple[Any, int]:
            last, changed, remap = customer_search_keys_rebuild(
                after_pk=after, limit=BATCH_ROWS
            )
            if remap:
                suppressions_rekey(remap=remap)
            return last, changed

        return [(_CUSTOMERS, search_keys)]
    if kind == KeyKind.PSEUDONYM:
        return [
            (
                _CUSTOMERS,
                lambda after: customer_pseudonyms_rebuild(
                    after_pk=after, limit=BATCH_ROWS
                ),
            )
        ]
    key_id = str(settings.GUANXI_ENCRYPTION_KEY_ID)

    def reencrypt(columns: EncryptedColumns) -> Callable[[Any], tuple[Any, int]]:
        def batch(after: Any) -> tuple[Any, int]:
            return reencrypt_batch(
                columns, key_id=key_id, after_pk=after, limit=BATCH_ROWS
            )

        return batch

    def files(
        store: Callable[..., tuple[Any, int]],
    ) -> Callable[[Any], tuple[Any, int]]:
        def batch(after: Any) -> tuple[Any, int]:
            return store(key_id=key_id, after_pk=after, limit=BATCH_ROWS)

        return batch

    return [(columns.label, reencrypt(columns)) for columns in encrypted_models()] + [
        (label, files(store)) for label, store in encrypted_file_stores()
    ]


def _total_rows(kind: str) -> int:
    if kind == KeyKind.ENCRYPTION:
        return sum(c.model._base_manager.count() for c in encrypted_models())
    return customers_total()


def key_rotate(
    *,
    kind: str = KeyKind.ENCRYPTION,
    actor: Any = None,
    key_id: str | None = None,
    max_batches: int | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RotationResult:
    """Rotate the key ``kind`` (or resume its unfinished rotation) and rewrite
    what depends on it; stop after ``max_batches`` batches if given (run again
    to go on). ``progress(rows, rewritten)`` after each batch."""
    kind = KeyKind(kind)
    with _rotation_lock():
        with transaction.atomic():
            rotation = _start(kind, actor=actor, key_id=key_id)
        if on_total is not None:
            on_total(_total_rows(kind))
        batches = 0
        for label, batch in _steps(kind):
            if label in rotation.done:
                continue
            while True:
                if max_batches is not None and batches >= max_batches:
                    return RotationResult(kind, rotation.key_id, rotation.count, False)
                with transaction.atomic():
                    last, rewritten = batch(rotation.progress.get(label))
                    if last is None:
                        rotation.done = [*rotation.done, label]
                    else:
                        rotation.progress = {**rotation.progress, label: last}
                    rotation.count += rewritten
                    rotation.save(update_fields=["done", "progress", "count"])
                if last is None:
                    break
                batches += 1
                if progress is not None:
                    progress(BATCH_ROWS, rewritten)
        with transaction.atomic():
            rotation.finished_at = timezone.now()
            rotation.save(update_fields=["finished_at"])
            key_rotated(
                actor=rotation.started_by or actor,
                key_id=rotation.key_id or kind,
                reencrypted=rotation.count,
            )
        return RotationResult(kind, rotation.key_id, rotation.count, True)


def key_status() -> KeyStatus:
    """The keys configured, which key encrypted how many stored values, and
    the rotations (unfinished, and the last of each key)."""
    values: dict[str, int] = {}
    for columns in encrypted_models():
        for kid, n in key_ids_in_use(columns).items():
            values[kid] = values.get(kid, 0) + n
    last: dict[str, KeyRotation] = {}
    for rotation in KeyRotation.objects.filter(finished_at__isnull=False).order_by(
        "-finished_at"
    )[:50]:
        last.setdefault(rotation.kind, rotation)
    path = _key_file()
    return KeyStatus(
        primary=str(settings.GUANXI_ENCRYPTION_KEY_ID),
        configured=tuple(sorted(settings.GUANXI_ENCRYPTION_KEYS)),
        values_by_key=dict(sorted(values.items())),
        key_file=str(path) if path else None,
        unfinished=KeyRotation.objects.filter(finished_at__isnull=True).first(),
        last=last,
        blind_keys=_blind_keys(),
    )


def _blind_keys() -> tuple[BlindKey, ...]:
    counts = erased_key_counts()
    current = str(settings.GUANXI_BLIND_INDEX_KEY_ID)
    retired: dict[str, bytes] = settings.GUANXI_BLIND_INDEX_KEYS_RETIRED
    days: dict[str, str] = getattr(settings, "GUANXI_BLIND_INDEX_RETIRED_ON", {})
    keys = [BlindKey(current, "current", "", counts.get(current, 0))]
    keys += [
        BlindKey(kid, "retired", days.get(kid, ""), counts.get(kid, 0))
        for kid in sorted(set(retired) - {current})
    ]
    keys += [
        BlindKey(kid, "missing", "", n)
        for kid, n in sorted(counts.items())
        if kid != current and kid not in retired
    ]
    return tuple(keys)


def key_prune(*, actor: Any = None) -> PruneResult:
    """Drop the retired blind-index keys no erased contact names any more
    (from the key file; with keys from the environment, say which the operator
    may remove). Audited when there was any to drop."""
    with _rotation_lock():
        unfinished = KeyRotation.objects.filter(
            kind=KeyKind.BLIND_INDEX, finished_at__isnull=True
        ).exists()
        if unfinished:
            raise RotationBusy(
                _(
                    "a rotation of the %(key)s is unfinished: run "
                    "'guanxi keys rotate%(flag)s' to finish it first"
                )
                % {
                    "key": KeyKind.BLIND_INDEX.label,
                    "flag": rotate_flag(KeyKind.BLIND_INDEX),
                }
            )
        retired = set(settings.GUANXI_BLIND_INDEX_KEYS_RETIRED)
        # Kept while an erased contact's hash or an imported interaction's
        # keyed id (guanxi.ingest.rowids) names it: neither can be made again.
        named = set(erased_key_counts()) | generated_id_keys(retired)
        unused = tuple(sorted(retired - named))
        kept = tuple(sorted(retired & named))
        if not unused:
            return PruneResult((), (), kept)
        path = _key_file()
        with transaction.atomic():
            if path is not None:
                data = keyfile_read(path)
                data["blind_index_keys_retired"] = [
                    entry
                    for entry in data.get("blind_index_keys_retired") or []
                    if entry.get("id") not in unused
                ]
                keyfile_write(path, data)
                _settings_from_file(path)
            key_pruned(actor=actor, key_ids=list(unused), removed=path is not None)
        if path is None:
            return PruneResult((), unused, kept)
        return PruneResult(unused, (), kept)
