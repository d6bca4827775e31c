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

        # What orders set off (purchase triggers, exits, waits) is recorded
        # in the orders' own transaction and done by the task worker just
        # after (guanxi.journeys.pending; decision 0007).
        from guanxi.commerce.services import purchases_recorded
        from guanxi.journeys.pending import purchases_pending_record

        purchases_recorded.connect(
            purchases_pending_record, dispatch_uid="journeys.on-orders"
        )
