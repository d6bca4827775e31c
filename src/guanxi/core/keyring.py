"""The key file, and re-encryption of every encrypted column under a new key.

Key material never enters the database: the embedded default keeps it in
``$GUANXI_DATA_DIR/keys.json`` (mode 0600, written whole and renamed into
place, so a process killed while writing leaves the old file), production in
the environment. What this module does to the database is storage-level: it
rewrites ciphertext, never the values, so it works on every model that has an
:class:`~guanxi.core.fields.EncryptedTextField` (found through the app
registry; a new encrypted column is covered without being listed anywhere).

A row is re-encrypted by compare-and-swap (``UPDATE … WHERE pk = %s AND col =
<the ciphertext read>``): a value a user changed in between is left as they
wrote it (and it was written under the current key anyway).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.apps import apps
from django.db import connection, models
from django.db.models.functions import Cast, StrIndex, Substr

from guanxi.core.crypto import (
    PREFIX,
    decrypt,
    encrypt,
    is_ciphertext,
    keyring_forget,
    parse_key_list,
)
from guanxi.core.fields import EncryptedTextField

__all__ = [
    "KEY_ID_PATTERN",
    "EncryptedColumns",
    "encrypted_file_stores",
    "encrypted_models",
    "key_ids_in_use",
    "keyfile_read",
    "keyfile_write",
    "new_key",
    "parse_key_list",
    "plaintext_open",
    "plaintext_seal",
    "reencrypt_batch",
    "register_file_store",
]

#: What a new key id may look like (it is part of every ciphertext).
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,15}")


def new_key() -> str:
    """32 random bytes, URL-safe base64 (an AES-256 or HMAC-SHA-256 key)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def keyfile_read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def keyfile_write(path: Path, data: dict[str, Any]) -> None:
    """Replace the key file whole: written beside it (0600), flushed to disk,
    then renamed over it, so a reader sees the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
    keyring_forget()


@dataclass(frozen=True)
class EncryptedColumns:
    """One model and its encrypted fields."""

    model: type[models.Model]
    fields: tuple[EncryptedTextField, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label


def encrypted_models() -> list[EncryptedColumns]:
    """Every concrete model with encrypted fields, in a stable order."""
    found: list[EncryptedColumns] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.abstract or meta.proxy or not meta.managed:
            continue
        fields = tuple(
            f for f in meta.concrete_fields if isinstance(f, EncryptedTextField)
        )
        if fields:
            found.append(EncryptedColumns(model, fields))
    return sorted(found, key=lambda c: c.label)


#: ``(key_id=, after_pk=, limit=) -> (last pk or None, files rewritten)``: one
#: batch of an app's encrypted files sealed again under the current key.
FileBatch = Callable[..., tuple[Any, int]]
_file_stores: dict[str, FileBatch] = {}


def register_file_store(label: str, batch: FileBatch) -> None:
    """Declare files an app keeps encrypted with the encryption key (apps
    call it from ``ready()``); key rotation re-encrypts them with ``batch``
    after the columns. Registering a label again replaces it."""
    _file_stores[label] = batch


def encrypted_file_stores() -> list[tuple[str, FileBatch]]:
    """The registered encrypted file stores, by label."""
    return sorted(_file_stores.items())


def _raw(field: EncryptedTextField) -> Cast:
    """The stored ciphertext of ``field``, not decrypted on the way out."""
    return Cast(field.attname, models.TextField())


def key_ids_in_use(columns: EncryptedColumns) -> dict[str, int]:
    """How many stored values of these columns each key id encrypted."""
    counts: dict[str, int] = {}
    manager = columns.model._base_manager
    for field in columns.fields:
        rest = Substr(_raw(field), len(PREFIX) + 1)
        kid = Substr(rest, 1, StrIndex(rest, models.Value(":")) - 1)
        rows = (
            manager.filter(**{f"{field.attname}__isnull": False})
            .annotate(kid=kid)
            .values("kid")
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        for row in rows:
            counts[row["kid"]] = counts.get(row["kid"], 0) + row["n"]
    return counts


def _rows(
    columns: EncryptedColumns, *, after_pk: Any, limit: int
) -> Iterator[tuple[Any, ...]]:
    manager = columns.model._base_manager
    names = [f"raw_{f.attname}" for f in columns.fields]
    qs = manager.annotate(
        **{n: _raw(f) for n, f in zip(names, columns.fields, strict=True)}
    )
    if after_pk is not None:
        qs = qs.filter(pk__gt=after_pk)
    yield from qs.order_by("pk").values_list("pk", *names)[:limit]


def reencrypt_batch(
    columns: EncryptedColumns, *, key_id: str, after_pk: Any, limit: int
) -> tuple[Any, int]:
    """Re-encrypt under ``key_id`` (the current key) the values of up to
    ``limit`` rows after ``after_pk``, in primary-key order. Returns the last
    primary key looked at (None: no rows left) and how many values were
    rewritten. Run it inside the caller's transaction."""
    head = f"{PREFIX}{key_id}:"
    table = connection.ops.quote_name(columns.model._meta.db_table)
    pk_column = connection.ops.quote_name(str(columns.model._meta.pk.column))
    last: Any = None
    changed = 0
    with connection.cursor() as cursor:
        for pk, *stored in _rows(columns, after_pk=after_pk, limit=limit):
            last = pk
            for field, value in zip(columns.fields, stored, strict=True):
                if value is None or value.startswith(head):
                    continue
                context = field.crypto_context
                sealed = encrypt(decrypt(value, context=context), context=context)
                column = connection.ops.quote_name(str(field.column))
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s "
                    f"WHERE {pk_column} = %s AND {column} = %s",
                    [sealed, pk, value],
                )
                changed += cursor.rowcount
    return last, changed


def _column_rewrite(
    schema_editor: Any,
    model: type[models.Model],
    field_name: str,
    rewrite: Callable[[str | None, str], str | None],
    *,
    batch: int = 1000,
) -> int:
    """Rewrite every stored value of one column, in primary-key order, by raw
    SQL (a migration's model would try to decrypt the plain text)."""
    conn = schema_editor.connection
    quote = conn.ops.quote_name
    meta = model._meta
    field = cast(models.Field, meta.get_field(field_name))  # type: ignore[type-arg]
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))
    column = quote(str(field.column))
    context = f"{meta.app_label}.{meta.object_name}.{field_name}"
    after: Any = None
    changed = 0
    with conn.cursor() as cursor:
        while True:
            where = "" if after is None else f"WHERE {pk} > %s "
            cursor.execute(
                f"SELECT {pk}, {column} FROM {table} {where}"
                f"ORDER BY {pk} LIMIT {int(batch)}",
                [] if after is None else [after],
            )
            rows = cursor.fetchall()
            if not rows:
                return changed
            after = rows[-1][0]
            updates = [
                (new, key) for key, old in rows if (new := rewrite(old, context)) != old
            ]
            if updates:
                cursor.executemany(
                    f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",
                    updates,
                )
                changed += len(updates)


def plaintext_seal(
    schema_editor: Any, model: type[models.Model], field_name: str
) -> int:
    """For a data migration that makes a plain text column encrypted: every
    value in clear is encrypted under the current key (empty → NULL)."""

    def seal(value: str | None, context: str) -> str | None:
        if not value:
            return None
        if is_ciphertext(value):
            return value
        return encrypt(value, context=context)

    return _column_rewrite(schema_editor, model, field_name, seal)


def plaintext_open(
    schema_editor: Any, model: type[models.Model], field_name: str
) -> int:
    """The reverse of :func:`plaintext_seal`: every value decrypted back into
    clear (NULL → ``""``), for a migration rolled back."""

    def unseal(value: str | None, context: str) -> str | None:
        if value is None:
            return ""
        if not is_ciphertext(value):
            return value
        return decrypt(value, context=context)

    return _column_rewrite(schema_editor, model, field_name, unseal)
