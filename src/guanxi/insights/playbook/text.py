"""A playbook row's words in the reader's language (Chinese or English)."""

from __future__ import annotations

from django.utils.translation import get_language

from guanxi.insights.models import PlaybookAction

__all__ = ["action_text", "action_title", "reads_chinese"]


def reads_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def action_title(action: PlaybookAction) -> str:
    return action.title_zh if reads_chinese() else action.title_en


def action_text(action: PlaybookAction) -> str:
    return action.text_zh if reads_chinese() else action.text_en
