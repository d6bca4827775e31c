from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "guanxi.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # Personal data (guanxi.privacy): tickets and their threads go with the
        # customer.
        from guanxi.core.personal_data import CASCADE, register
        from guanxi.feedback.models import (
            Attachment,
            InboundMail,
            Ticket,
            TicketEntry,
        )
        from guanxi.feedback.services import (
            attachment_files_export,
            attachment_files_reencrypt,
            attachments_erase,
        )

        register(Ticket, app="feedback", path="customer_id", erase=CASCADE)
        register(TicketEntry, app="feedback", path="ticket__customer_id", erase=CASCADE)
        # An e-mail that opened or joined a ticket goes with it (a triage row,
        # from an unknown sender, is no customer's).
        register(
            InboundMail,
            app="feedback",
            path="ticket__customer_id",
            erase=CASCADE,
            exclude=("message_key",),
        )
        # Attachments: the export lists them (name, type, size, date; the
        # storage name is ours) and its ZIP carries the files; the erasure
        # removes the files from disk.
        register(
            Attachment,
            app="feedback",
            path="ticket__customer_id",
            erase=attachments_erase,
            exclude=("stored_name",),
            files=attachment_files_export,
        )
        # Their files are sealed with the encryption key: a rotation seals
        # them again (guanxi keys rotate).
        from guanxi.core.keyring import register_file_store

        register_file_store("feedback.Attachment.file", attachment_files_reencrypt)

        # A complaint or review logged or imported opens a ticket (after the
        # commit, once per write, set-based).
        from guanxi.customers.services import interactions_written
        from guanxi.feedback.services import tickets_after_interactions

        interactions_written.connect(
            tickets_after_interactions, dispatch_uid="feedback.on-interactions"
        )
