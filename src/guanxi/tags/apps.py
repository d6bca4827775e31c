from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TagsConfig(AppConfig):
    name = "guanxi.tags"
    label = "tags"
    verbose_name = _("Tags")

    def ready(self) -> None:
        # The one receiver: automatic tags and coverage after each scoring run
        # (insights sends run_finished once a run's snapshots are committed).
        from guanxi.insights.services import run_finished
        from guanxi.tags.services import tags_after_run

        run_finished.connect(tags_after_run, dispatch_uid="tags_after_run")
