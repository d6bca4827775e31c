"""``guanxi warnings run``: evaluate the warning signals as of a date."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.care.services import warnings_evaluate
from guanxi.core.errors import DomainError
from guanxi.core.values import as_of_date


class Command(BaseCommand):
    help = _(
        "Evaluate the early-warning signals as of a scoring run's date (default: "
        "the latest): open, extend or close warnings and open care tasks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["run"],
            help=_("run: evaluate the signals and open the warnings and tasks"),
        )
        parser.add_argument(
            "--as-of",
            type=as_of_date,
            default=None,
            metavar="DATE",
            help=_("the scoring run's date, YYYY-MM-DD (default: the latest run)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print exactly one JSON object with the counts"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = warnings_evaluate(as_of=options["as_of"])
        except DomainError as error:
            raise CommandError(error.message) from None
        counts = {
            "opened": run.opened,
            "updated": run.updated,
            "closed": run.closed,
            "seconds": run.seconds,
        }
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        self.stdout.write(
            _(
                "Warnings as of %(date)s: %(opened)d opened, %(updated)d updated, "
                "%(closed)d closed in %(seconds).1f s."
            )
            % {"date": run.as_of.isoformat(), **counts}
        )
