from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "guanxi.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from guanxi.insights.figures import on_run_finished
        from guanxi.insights.signals import run_finished

        # The dashboard's figures of each finished run (insights.figures).
        run_finished.connect(on_run_finished, dispatch_uid="insights-run-figures")
