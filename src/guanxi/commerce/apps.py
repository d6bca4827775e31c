from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "guanxi.commerce"
    label = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): an erasure keeps the orders for the
        # books, linked to a tombstone customer instead of the person.
        from guanxi.commerce.models import Order, OrderLine
        from guanxi.commerce.services import orders_pseudonymise
        from guanxi.core.personal_data import KEEP, register

        register(
            Order,
            app="commerce",
            path="customer_id",
            erase=orders_pseudonymise,
            phase=10,
        )
        register(OrderLine, app="commerce", path="order__customer_id", erase=KEEP)
