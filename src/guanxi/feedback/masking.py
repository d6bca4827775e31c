"""Personal data taken out of free text before a role that may not see it
reads it: phone numbers, e-mail addresses and the customer's own name (the
rule lives in :mod:`guanxi.core.masking`; customer notes follow it too)."""

from __future__ import annotations

from guanxi.core.masking import text_masked

__all__ = ["text_masked"]
