from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "guanxi.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): scores and stage changes are
        # profiling; they go with the customer.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.insights.models import ScoreSnapshot, StageChange

        for model in (ScoreSnapshot, StageChange):
            register(model, app="insights", path="customer_id", erase=CASCADE)

        from guanxi.insights.figures import on_run_finished
        from guanxi.insights.signals import run_finished

        # The dashboard's figures of each finished run (insights.figures).
        run_finished.connect_step(
            on_run_finished,
            order=10,
            step="figures",
            dispatch_uid="insights-run-figures",
        )
