"""Writes of the playbook table (the editor's only way in)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from guanxi.insights.models import PlaybookAction

__all__ = ["playbook_action_delete", "playbook_action_save"]


@transaction.atomic
def playbook_action_save(*, action: PlaybookAction, actor: Any) -> PlaybookAction:
    """Validate and save a new or changed row (``full_clean``: the choices,
    lengths and one row per stage and quadrant), recording who changed it."""
    action.updated_by = actor
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def playbook_action_delete(*, action: PlaybookAction, actor: Any) -> None:
    """Remove a row; customers it fitted fall back to a less specific one."""
    action.delete()
