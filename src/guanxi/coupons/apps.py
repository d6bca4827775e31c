from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "guanxi.coupons"
    label = "coupons"
    verbose_name = _("Coupons")

    def ready(self) -> None:
        # The co-purchase pairs are computed again after each scoring run
        # (the customer page's suggestions follow the latest purchases).
        from guanxi.coupons.services import pairs_after_run
        from guanxi.insights.services import run_finished

        run_finished.connect(pairs_after_run, dispatch_uid="coupons.pairs")
