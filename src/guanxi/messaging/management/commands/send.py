"""``guanxi send``: queue one message per customer of an audience."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError
from guanxi.messaging.services import broadcast_send

CHANNELS = ("email", "sms", "wecom", "webhook")
PURPOSES = ("service", "marketing")


class Command(BaseCommand):
    help = (
        "Queue one message per customer of an audience (all, segment:NAME or "
        "file:IDS.csv) on a channel, from a template file; the task worker sends them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, choices=CHANNELS)
        parser.add_argument(
            "--audience", required=True, help="all, segment:NAME or file:IDS.csv"
        )
        parser.add_argument("--purpose", required=True, choices=PURPOSES)
        parser.add_argument(
            "--template",
            required=True,
            metavar="FILE",
            help="'Subject: …' (e-mail), a blank line, then the Jinja2 body",
        )
        parser.add_argument(
            "--json", action="store_true", help="print the counts as one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["template"])
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CommandError(
                _("The template file %(file)s is not UTF-8 text.") % {"file": path.name}
            ) from None
        except OSError:
            raise CommandError(
                _("Cannot read the template file %(file)s.") % {"file": path.name}
            ) from None
        try:
            count = broadcast_send(
                channel=options["channel"],
                purpose=options["purpose"],
                template_text=text,
                audience=options["audience"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        if options["json"]:
            self.stdout.write(json.dumps(count.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(_("Queued: %(n)d") % {"n": count.queued})
        suppressed = sum(count.suppressed.values())
        self.stdout.write(_("Suppressed: %(n)d") % {"n": suppressed})
        for reason, n in sorted(count.suppressed.items()):
            self.stdout.write(f"  {reason}: {n}")
