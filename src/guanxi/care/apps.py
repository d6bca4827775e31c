from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "guanxi.care"
    label = "care"
    verbose_name = _("Care")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): warnings and tasks go with the customer.
        from guanxi.care.models import CareTask, ChurnWarning
        from guanxi.core.personal_data import CASCADE, register

        for model in (ChurnWarning, CareTask):
            register(model, app="care", path="customer_id", erase=CASCADE)

        # Warnings are evaluated when a scoring run has written its snapshots
        # (see insights.signals), and for the customers concerned when orders
        # or interactions are written (after the commit, once per write).
        from guanxi.care.services import (
            warnings_after_interactions,
            warnings_after_orders,
            warnings_after_run,
        )
        from guanxi.commerce.services import purchases_written
        from guanxi.customers.services import interactions_written
        from guanxi.insights.services import run_followups

        # The last step of a run's follow-up chain: signals may read the
        # segments and tags written before it.
        run_followups.connect_step(
            warnings_after_run, order=30, step="warnings", dispatch_uid="care.warnings"
        )
        interactions_written.connect(
            warnings_after_interactions, dispatch_uid="care.on-interactions"
        )
        purchases_written.connect(warnings_after_orders, dispatch_uid="care.on-orders")
