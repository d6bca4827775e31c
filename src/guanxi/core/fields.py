"""Model fields that keep personal data encrypted at rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from guanxi.core.crypto import decrypt, encrypt

__all__ = ["EncryptedDateField", "EncryptedTextField"]


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
