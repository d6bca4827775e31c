"""Domain errors. The edges (web, API, CLI) turn them into clear messages."""

from __future__ import annotations

__all__ = [
    "DecryptionError",
    "DomainError",
    "NotFound",
    "OutsideScope",
    "PermissionDenied",
    "RateLimited",
    "ValidationFailed",
]


class DomainError(Exception):
    """Base class for errors a user may see (their message is meant for people)."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status_code = 404


class OutsideScope(NotFound):
    """The record exists but the actor may not see it: answered exactly as NotFound."""


class PermissionDenied(DomainError):
    status_code = 403


class ValidationFailed(DomainError):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RateLimited(DomainError):
    """Too many of something in too short a time (an HTTP 429)."""

    status_code = 429


class DecryptionError(DomainError):
    """Stored ciphertext cannot be decrypted: wrong or missing key. Never shown as data."""

    status_code = 500
