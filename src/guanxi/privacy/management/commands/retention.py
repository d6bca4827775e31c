"""``guanxi retention purge [--dry-run] [--json]``: purge what is past its
retention (or, with --dry-run, say what would go)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanxi.privacy.services import retention_purge


class Command(BaseCommand):
    help = _(
        "Purge personal data past its retention: old interactions, tracking "
        "events, messages, audit entries (3 years at least) and inactive customers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["purge"],
            help=_(
                "purge: delete what is past its retention (or count it, with --dry-run)"
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("count what would go, purge nothing"),
        )
        parser.add_argument("--json", action="store_true", help=_("one JSON object"))

    def handle(self, *args: Any, **options: Any) -> None:
        report = retention_purge(dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        labels = {
            "interactions": _("Interactions"),
            "tracking_events": _("Tracking events (opens, clicks)"),
            "messages": _("Messages"),
            "inbound_mail": _("E-mails in the feedback triage"),
            "audit": _("Audit entries"),
            "inactive_customers": _("Inactive customers (erased)"),
        }
        self.stdout.write(_("Would go (dry run):") if report.dry_run else _("Purged:"))
        for category, count in report.counts.items():
            days = report.days[category]
            kept = (
                _("kept %(days)s days") % {"days": days} if days else _("kept for ever")
            )
            self.stdout.write(f"  {labels[category]}: {count} ({kept})")
