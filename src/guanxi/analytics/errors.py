"""Errors raised by the analytics engine for input it cannot use."""

from __future__ import annotations

__all__ = ["AnalyticsInputError"]


class AnalyticsInputError(ValueError):
    """Input the analytics engine cannot use: bad columns, values or parameters.

    The message is meant for the person who supplied the data: it names the
    column and, where there is one, the first offending row (1-based, in the
    order the rows were given), e.g.
    ``column 'amount', row 17: negative amount (-3.0)``.
    """
