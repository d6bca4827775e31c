from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "guanxi.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # The audit log's alerts are e-mailed to the administrators.
        from guanxi.audit.services import alert_raised
        from guanxi.messaging.tasks import alert_mail_after

        alert_raised.connect(alert_mail_after, dispatch_uid="messaging.alert-mail")

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
