"""``guanxi messages status``: the outbox's counts by status;
``guanxi messages report``: what came of the newest broadcasts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.messaging.choices import MessageStatus
from guanxi.messaging.selectors import (
    broadcast_figures_many,
    broadcast_recent,
    message_status_counts,
)


class Command(BaseCommand):
    help = _(
        "Show the outbox: how many messages are queued, sending, sent, failed, "
        "suppressed (status), or what came of the newest broadcasts (report)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["status", "report"],
            help=_(
                "status: the outbox's counts by status; report: each broadcast's "
                "figures"
            ),
        )
        parser.add_argument("--json", action="store_true", help=_("one JSON value"))
        parser.add_argument(
            "--limit",
            type=int,
            default=20,
            help=_("report: how many broadcasts, newest first (default 20)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "report":
            self._report(limit=options["limit"], as_json=options["json"])
            return
        counts = message_status_counts()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        width = max(len(str(s.label)) for s in MessageStatus)
        for status in MessageStatus:
            self.stdout.write(f"{status.label!s:<{width}}  {counts[status.value]}")

    def _report(self, *, limit: int, as_json: bool) -> None:
        if not 1 <= limit <= 1000:
            raise CommandError(_("--limit is a whole number from 1 to 1000."))
        broadcasts = list(broadcast_recent(limit=limit))
        figures = broadcast_figures_many([b.pk for b in broadcasts])
        if as_json:
            rows = [
                {**figures[b.pk].as_dict(), "channel": b.channel} for b in broadcasts
            ]
            self.stdout.write(json.dumps(rows))
            return
        header = [
            _("Broadcast"),
            _("Channel"),
            _("Sent"),
            _("Delivered"),
            _("Opened"),
            _("Clicked"),
            _("Converted"),
            _("Rate"),
        ]
        table = [header]
        for broadcast in broadcasts:
            f = figures[broadcast.pk]
            rate = f.conversion_rate
            table.append(
                [
                    str(broadcast.pk),
                    str(broadcast.get_channel_display()),
                    str(f.sent),
                    str(f.delivered),
                    str(f.opened),
                    str(f.clicked),
                    str(f.converted),
                    "—" if rate is None else f"{rate * 100:.1f}%",
                ]
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            self.stdout.write(
                "  ".join(
                    cell.ljust(w) for cell, w in zip(row, widths, strict=True)
                ).rstrip()
            )
