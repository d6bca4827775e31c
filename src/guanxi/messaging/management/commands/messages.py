"""``guanxi messages status``: the outbox's counts by status."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guanxi.messaging.choices import MessageStatus
from guanxi.messaging.selectors import message_status_counts


class Command(BaseCommand):
    help = "Show the outbox: how many messages are queued, sending, sent, failed, suppressed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status"])
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = message_status_counts()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        width = max(len(str(s.label)) for s in MessageStatus)
        for status in MessageStatus:
            self.stdout.write(f"{status.label!s:<{width}}  {counts[status.value]}")
