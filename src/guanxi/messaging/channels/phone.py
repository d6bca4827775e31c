"""The phone channel: a call for a person to make, with the rendered script,
assigned to the customer's account manager. Made once per message."""

from __future__ import annotations

from guanxi.messaging.channels.base import Envelope, Result, sent
from guanxi.messaging.models import CallTask


class PhoneSender:
    def close(self) -> None:
        pass

    def send(self, envelope: Envelope) -> Result:
        script = (
            envelope.text
            if not envelope.subject
            else f"{envelope.subject}\n\n{envelope.text}"
        )
        CallTask.objects.get_or_create(
            message_id=envelope.message_id,
            defaults={
                "customer_id": envelope.customer_id,
                "assigned_to_id": envelope.manager_id,
                "script": script,
            },
        )
        return sent()
