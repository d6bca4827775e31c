"""Minors without their guardian's consent are not profiled (PIPL art. 31):
what a scoring run does about them (``guanxi.privacy`` decides who they are)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from guanxi.insights.models import ScoreSnapshot, StageChange
from guanxi.privacy.selectors import minors_unprofiled

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["frames_without", "unprofiled_for_run", "unprofiled_forget"]


def unprofiled_for_run(as_of: dt.date) -> set[int]:
    """The customers a run of ``as_of`` leaves out, their earlier scores gone."""
    unprofiled = minors_unprofiled(today=as_of)
    unprofiled_forget(unprofiled)
    return unprofiled


def unprofiled_forget(customer_ids: set[int]) -> None:
    """The run leaves them out, and their earlier scores and stage changes go
    too (made before their birthday was known, or before a guardian withdrew
    consent)."""
    ids = sorted(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        with transaction.atomic():
            ScoreSnapshot.objects.filter(customer_id__in=chunk).delete()
            StageChange.objects.filter(customer_id__in=chunk).delete()


def frames_without(
    customer_ids: set[int], frames: Iterable[pd.DataFrame]
) -> tuple[pd.DataFrame, ...]:
    """Each of ``frames`` without the rows of ``customer_ids``."""
    ids = list(customer_ids)
    if not ids:
        return tuple(frames)
    return tuple(
        frame[~frame["customer_id"].isin(ids)].reset_index(drop=True)
        for frame in frames
    )
