"""Model fields: personal data encrypted at rest, and amounts that always read back."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models
from django.utils.functional import cached_property

from guanxi.core.crypto import decrypt, encrypt

__all__ = [
    "AmountField",
    "EncryptedDateField",
    "EncryptedNoteField",
    "EncryptedTextField",
]


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted with AES-GCM; empty values are stored as NULL.

    Encrypted columns cannot be filtered or ordered by value: search goes
    through a blind index column kept beside them.
    """

    description = "Encrypted text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    def to_plain(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return str(value)

    def from_plain(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> Any:
        plain = self.to_plain(value)
        if plain is None:
            return None
        return encrypt(plain, context=self.crypto_context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.from_plain(decrypt(value, context=self.crypto_context))

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        return value


class EncryptedNoteField(EncryptedTextField):
    """Free text encrypted at rest (a note, what a customer said) that reads
    back as ``""`` when there is none, like the plain text column it replaces:
    the code and templates that show or test it keep working. Stored as NULL
    when empty; filter on emptiness with ``__isnull``, never ``= ""`` (the
    ciphertext is all the database sees)."""

    description = "Encrypted free text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return ""
        return super().from_db_value(value, expression, connection)

    def to_python(self, value: Any) -> Any:
        if value is None:
            return ""
        return value


class EncryptedDateField(EncryptedTextField):
    """A date encrypted at rest (stored as an encrypted ISO string)."""

    description = "Encrypted date"

    def to_plain(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value)).isoformat()

    def from_plain(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        kwargs.setdefault("form_class", forms.DateField)
        return models.Field.formfield(self, **kwargs)


class AmountField(models.DecimalField):  # type: ignore[type-arg]
    """A money column (``max_digits=12, decimal_places=2``) that always reads back.

    Writes are kept in range by :mod:`guanxi.core.values`, and PostgreSQL refuses
    anything larger. SQLite stores whatever it is given, though, and Django's
    SQLite converter rounds every value it reads in a context of ``max_digits``
    digits: one out-of-range amount already in the file (``1e20`` from an old
    import) made every page, list and export that read it fail. Reading in a
    context wide enough for any number SQLite holds shows the value as stored
    instead, so the pages still render and the value can be seen and corrected.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    @cached_property
    def context(self) -> decimal.Context:
        # A double reaches 1.8e308: 309 digits before the point, 2 after.
        return decimal.Context(prec=max(self.max_digits or 0, 320))

    def deconstruct(self) -> Any:
        # The column is a plain decimal: migrations need not know this class
        # (the reading context is no part of the schema).
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
