"""Sent when a scoring run has written every snapshot (re-exported by services).

:data:`run_finished`: its receivers (the run's figures, the co-purchase pairs)
get ``run`` (the :class:`~guanxi.insights.models.ScoreRun`, status done) and
``progress`` (a callable taking a step name and a share 0–1, or None) and
``queue`` (True: work that can wait, such as the co-purchase pairs, is to be
queued for the task worker rather than run before the run returns). They run
inside the run's last step, after the snapshots are committed.

:data:`run_followups`: the run's follow-up chain, automatic tags → segment
counts → warnings (each builds on the one before), called in the order given
at :meth:`TimedSignal.connect_step`, by :mod:`guanxi.insights.followups` —
in the task worker after the run commits, or inline when asked. Receivers get
``run`` and ``progress``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

__all__ = ["TimedSignal", "run_finished", "run_followups"]

logger = logging.getLogger(__name__)

#: receiver, its result (or the exception it raised), wall and CPU seconds
Timed = tuple[Callable[..., Any], Any, float, float]


class TimedSignal(Signal):
    """A signal whose receivers can be called one by one with their time
    taken: operators of a scoring run need to see which follow-up step took
    how long, and ``send_robust`` only gives the results."""

    def __init__(self) -> None:
        super().__init__()
        self._steps: dict[int, tuple[int, str]] = {}

    def connect_step(
        self, receiver: Callable[..., Any], *, order: int, step: str, dispatch_uid: str
    ) -> None:
        """Connect ``receiver`` as the step named ``step`` (for the run's
        timings), called after every receiver of a lower ``order``."""
        self._steps[id(receiver)] = (order, step)
        self.connect(receiver, dispatch_uid=dispatch_uid)

    def step_name(self, receiver: Callable[..., Any]) -> str | None:
        """The step name given at :meth:`connect_step`, if any."""
        found = self._steps.get(id(receiver))
        return found[1] if found else None

    def send_timed(self, sender: Any, **named: Any) -> list[Timed]:
        """Like ``send_robust`` (every receiver called, an exception returned
        as its result and logged) for synchronous receivers, each timed, in
        the order of :meth:`connect_step` (the others first, as connected)."""
        # Django offers no public per-receiver hook; _live_receivers is what
        # send_robust itself iterates (Django 5.x: sync and async lists).
        receivers, _async = self._live_receivers(sender)
        receivers = sorted(receivers, key=lambda r: self._steps.get(id(r), (0, ""))[0])
        out: list[Timed] = []
        for receiver in receivers:
            wall, cpu = time.perf_counter(), time.process_time()
            result: Any
            try:
                result = receiver(signal=self, sender=sender, **named)
            except Exception as error:
                logger.exception("receiver of %s failed", type(sender).__name__)
                result = error
            out.append(
                (
                    receiver,
                    result,
                    time.perf_counter() - wall,
                    time.process_time() - cpu,
                )
            )
        return out


run_finished = TimedSignal()
run_followups = TimedSignal()
