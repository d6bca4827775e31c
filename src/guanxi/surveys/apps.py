from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "guanxi.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # A customer given up on (care's lapsed warning) is asked why they
        # left (seed handbook 000, 2.4: 流失原因问卷).
        from guanxi.care.services import customer_lapsed
        from guanxi.surveys.services import invite_after_lapsed

        customer_lapsed.connect(invite_after_lapsed, dispatch_uid="surveys.lapsed")
