from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "guanxi.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): an erasure deletes it all.
        from guanxi.core.personal_data import KEEP, register
        from guanxi.messaging.erasure import customer_messaging_erase
        from guanxi.messaging.models import (
            CallTask,
            ConsentRecord,
            Message,
            MessageEvent,
        )

        register(
            Message,
            app="messaging",
            path="customer_id",
            erase=customer_messaging_erase,
            exclude=("idempotency_key", "lease_token"),
            phase=20,
        )
        for model, path in (
            (MessageEvent, "message__customer_id"),
            (CallTask, "customer_id"),
            (ConsentRecord, "customer_id"),
        ):
            # Deleted by the messages' eraser above.
            register(model, app="messaging", path=path, erase=KEEP)
