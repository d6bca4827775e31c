"""Stored codes in people's words, for templates: ``{{ order.channel|channel_label }}``.

The vocabulary lives in :mod:`guanxi.core.words` (exports use it too).
"""

from __future__ import annotations

from django import template

from guanxi.core import words

register = template.Library()

CHANNELS = words.CHANNELS
SOURCES = words.SOURCES


@register.filter
def channel_label(value: object) -> str:
    """``store`` → 门店 / In store; an unknown channel as stored."""
    return words.channel_label(value)


@register.filter
def source_label(value: object) -> str:
    """``demo`` → 演示数据 / Demo data; a source its importer named as typed."""
    return words.source_label(value)
