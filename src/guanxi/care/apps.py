from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "guanxi.care"
    label = "care"
    verbose_name = _("Care")

    def ready(self) -> None:
        # The one receiver: warnings are evaluated when a scoring run has
        # written its snapshots (see insights.signals).
        from guanxi.care.services import warnings_after_run
        from guanxi.insights.services import run_finished

        run_finished.connect(warnings_after_run, dispatch_uid="care.warnings")
