"""Sent when a scoring run has written every snapshot (re-exported by services).

Receivers (segment counts, automatic tags, later warnings and journeys) get
``run`` (the :class:`~guanxi.insights.models.ScoreRun`, status done) and
``progress`` (a callable taking a step name and a share 0–1, or None). They
run inside the run's last step, after the snapshots are committed.
"""

from __future__ import annotations

from django.dispatch import Signal

run_finished = Signal()
