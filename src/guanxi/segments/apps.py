from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "guanxi.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        # The one receiver: each segment's members are counted when a scoring
        # run has written its snapshots (see insights.signals).
        from guanxi.insights.services import run_finished
        from guanxi.segments.services import segment_counts_on_run

        run_finished.connect(segment_counts_on_run, dispatch_uid="segments.counts")
