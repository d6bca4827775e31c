from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "guanxi.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # A complaint or review logged or imported opens a ticket (after the
        # commit, once per write, set-based).
        from guanxi.customers.services import interactions_written
        from guanxi.feedback.services import tickets_after_interactions

        interactions_written.connect(
            tickets_after_interactions, dispatch_uid="feedback.on-interactions"
        )
