"""``guanxi send``: queue one message per customer of an audience."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError
from guanxi.messaging.choices import SuppressReason
from guanxi.messaging.outbox import QueueCount
from guanxi.messaging.selectors import template_by_name
from guanxi.messaging.services import broadcast_send, broadcast_send_stored

CHANNELS = ("email", "sms", "wecom", "webhook")
PURPOSES = ("service", "marketing")
SUPPRESS_REASONS = frozenset(SuppressReason.values)


class Command(BaseCommand):
    help = _(
        "Queue one message per customer of an audience (all, segment:NAME or "
        "file:IDS.csv) on a channel, from a template file; the task worker sends them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--channel",
            choices=CHANNELS,
            help=_("the channel of a template file (with --template)"),
        )
        parser.add_argument(
            "--audience", required=True, help=_("all, segment:NAME or file:IDS.csv")
        )
        parser.add_argument(
            "--purpose",
            choices=PURPOSES,
            help=_(
                "service or marketing (marketing needs the customer's consent on "
                "the channel), with --template"
            ),
        )
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--template",
            metavar="FILE",
            help=_("'Subject: …' (e-mail), a blank line, then the Jinja2 body"),
        )
        which.add_argument(
            "--template-name",
            metavar="NAME",
            help=_("a stored template (its own channel and purpose)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print the counts as one JSON object"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["template_name"] is not None:
            count = self._stored(options)
        else:
            count = self._file(options)
        if options["json"]:
            self.stdout.write(json.dumps(count.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(_("Queued: %(n)d") % {"n": count.queued})
        suppressed = sum(count.suppressed.values())
        self.stdout.write(_("Suppressed: %(n)d") % {"n": suppressed})
        for reason, n in sorted(count.suppressed.items()):
            # The reason in words (the code is in --json).
            label = (
                SuppressReason(reason).label if reason in SUPPRESS_REASONS else reason
            )
            self.stdout.write(f"  {label}: {n}")

    def _stored(self, options: dict[str, Any]) -> QueueCount:
        if options["channel"] or options["purpose"]:
            raise CommandError(
                _(
                    "A stored template has its own channel and purpose: leave out "
                    "--channel and --purpose."
                )
            )
        template = template_by_name(options["template_name"])
        if template is None:
            raise CommandError(
                _("No template is named %(name)r.")
                % {"name": options["template_name"][:100]}
            )
        try:
            return broadcast_send_stored(
                template=template, audience=options["audience"]
            )
        except DomainError as error:
            raise CommandError(error.message) from None

    def _file(self, options: dict[str, Any]) -> QueueCount:
        if not options["channel"] or not options["purpose"]:
            raise CommandError(_("A template file needs --channel and --purpose."))
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
            return broadcast_send(
                channel=options["channel"],
                purpose=options["purpose"],
                template_text=text,
                audience=options["audience"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
