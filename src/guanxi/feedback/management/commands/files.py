"""``guanxi files sweep [--dry-run] [--json]``: remove the attachment
files left without their row (or, with --dry-run, count them)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanxi.feedback.presenters import file_size
from guanxi.feedback.services import attachment_orphans_sweep


class Command(BaseCommand):
    help = _(
        "Remove ticket attachment files that no attachment row names and that "
        "were written more than an hour ago (left by a rolled-back upload)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["sweep"],
            help=_("sweep: remove those files (or count them, with --dry-run)"),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("count what would go, remove nothing"),
        )
        parser.add_argument("--json", action="store_true", help=_("one JSON object"))

    def handle(self, *args: Any, **options: Any) -> None:
        report = attachment_orphans_sweep(dry_run=options["dry_run"], via="cli")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        values = {"n": report.files, "size": file_size(report.bytes)}
        if report.dry_run:
            text = _("Attachment files without a row, to remove: %(n)d (%(size)s).")
        else:
            text = _("Attachment files without a row, removed: %(n)d (%(size)s).")
        self.stdout.write(text % values)
