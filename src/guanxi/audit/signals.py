"""Signals of the audit log.

:data:`alert_raised` is sent after the transaction that recorded an alert
(``alert.searches``), with ``action``, ``actor_id`` and ``details`` (counts,
never a personal value): who is told, and how, is not the audit log's
business (messaging e-mails the administrators)."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["alert_raised"]

alert_raised = Signal()
