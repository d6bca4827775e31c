"""Command-line argument types shared by ``guanxi demo`` and ``guanxi start``."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from django.utils.translation import gettext as _

__all__ = ["whole_number"]


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number in ``[minimum, maximum]``, with a clear error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("not a whole number: %(text)r") % {"text": text[:40]}
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                _("must be at least %(minimum)d: %(text)s")
                % {"minimum": minimum, "text": text}
            )
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                _("must be at most %(maximum)d: %(text)s")
                % {"maximum": maximum, "text": text}
            )
        return value

    return parse
