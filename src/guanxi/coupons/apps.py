from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class CouponsConfig(AppConfig):
    name = "guanxi.coupons"
    label = "coupons"
    verbose_name = _("Coupons")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): a customer's coupons go with them.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.coupons.models import IssuedCoupon

        register(IssuedCoupon, app="coupons", path="customer_id", erase=CASCADE)

        # The co-purchase pairs are computed again after each scoring run
        # (the customer page's suggestions follow the latest purchases).
        from guanxi.coupons.services import pairs_after_run
        from guanxi.insights.services import run_finished

        run_finished.connect_step(
            pairs_after_run,
            order=20,
            step=gettext_noop("co-purchase pairs"),
            dispatch_uid="coupons.pairs",
        )
