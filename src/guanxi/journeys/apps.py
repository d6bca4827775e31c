from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "guanxi.journeys"
    label = "journeys"
    verbose_name = _("Journeys")

    def ready(self) -> None:
        # Event triggers run for the customers concerned once their orders
        # are committed (one set-based insert per write, never per row).
        from guanxi.commerce.services import purchases_written
        from guanxi.journeys.services import journeys_after_orders

        purchases_written.connect(
            journeys_after_orders, dispatch_uid="journeys.on-orders"
        )
