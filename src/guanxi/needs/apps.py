from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class NeedsConfig(AppConfig):
    name = "guanxi.needs"
    label = "needs"
    verbose_name = pgettext_lazy("needs app", "Needs")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): which customer's text named a need,
        # and who was told it was met, go with the customer.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.needs.models import NeedMention, NeedNotice

        register(NeedMention, app="needs", path="customer_id", erase=CASCADE)
        register(NeedNotice, app="needs", path="customer_id", erase=CASCADE)
