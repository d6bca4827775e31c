from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "guanxi.journeys"
    label = "journeys"
    verbose_name = _("Journeys")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): enrolments and their steps go with
        # the customer.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.journeys.models import Enrolment, StepRun

        register(Enrolment, app="journeys", path="customer_id", erase=CASCADE)
        register(StepRun, app="journeys", path="enrolment__customer_id", erase=CASCADE)

        # Event triggers run for the customers concerned once their orders
        # are committed (one set-based insert per write, never per row).
        from guanxi.commerce.services import purchases_written
        from guanxi.journeys.services import journeys_after_orders

        purchases_written.connect(
            journeys_after_orders, dispatch_uid="journeys.on-orders"
        )
