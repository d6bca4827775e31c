"""Helpers of the warning evaluation tests: the day they evaluate, moments
and interactions on a day, a customer's open signals, one evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from guanxi.care.models import ChurnWarning
from guanxi.care.services import warnings_evaluate
from guanxi.customers.models import Interaction
from guanxi.insights.tests.factories import make_run

__all__ = ["DAY", "_at", "_evaluate", "_interact", "_signals"]

DAY = dt.date(2026, 11, 20)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _interact(
    customer: Any, day: dt.date, kind: str = "visit", note: str = "", hour: int = 12
) -> None:
    Interaction.objects.create(
        customer=customer, kind=kind, occurred_at=_at(day, hour), note=note
    )


def _signals(customer: Any) -> dict[str, Any]:
    warning = ChurnWarning.objects.filter(customer=customer, status="open").first()
    return {} if warning is None else dict(warning.signals)


def _evaluate(day: dt.date = DAY) -> Any:
    make_run(day)
    return warnings_evaluate(as_of=day)
