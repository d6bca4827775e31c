from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "guanxi.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        # The one receiver: each segment's members are counted after a scoring
        # run, once its automatic tags are written (rules may test tags): the
        # second step of the run's follow-up chain (see insights.signals).
        from guanxi.insights.services import run_followups
        from guanxi.segments.services import segment_counts_on_run

        run_followups.connect_step(
            segment_counts_on_run,
            order=20,
            step="segments",
            dispatch_uid="segments.counts",
        )
