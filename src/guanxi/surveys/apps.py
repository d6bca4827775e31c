from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "guanxi.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): invitations and answers go with the
        # customer.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.surveys.models import Answer, Invitation

        for model in (Invitation, Answer):
            register(model, app="surveys", path="customer_id", erase=CASCADE)

        # A customer given up on (care's lapsed warning) is asked why they
        # left (seed handbook 000, 2.4: 流失原因问卷).
        from guanxi.care.services import customer_lapsed
        from guanxi.surveys.services import invite_after_lapsed

        customer_lapsed.connect(invite_after_lapsed, dispatch_uid="surveys.lapsed")

        # Orders received and events attended (announced once per write, after
        # its commit); a solved ticket is feedback's own call.
        from guanxi.commerce.services import purchases_written
        from guanxi.customers.services import interactions_written
        from guanxi.surveys.triggers import (
            invite_after_interactions,
            invite_after_orders,
        )

        purchases_written.connect(invite_after_orders, dispatch_uid="surveys.orders")
        interactions_written.connect(
            invite_after_interactions, dispatch_uid="surveys.interactions"
        )
