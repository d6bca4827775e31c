from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TagsConfig(AppConfig):
    name = "guanxi.tags"
    label = "tags"
    verbose_name = _("Tags")

    def ready(self) -> None:
        # The one receiver: automatic tags and coverage after each scoring run,
        # the first step of the run's follow-up chain (insights.followups).
        from guanxi.insights.services import run_followups
        from guanxi.tags.services import tags_after_run

        run_followups.connect_step(
            tags_after_run, order=10, step="tags", dispatch_uid="tags_after_run"
        )
