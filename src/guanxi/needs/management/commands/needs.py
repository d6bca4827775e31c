"""``guanxi needs mine``: mine what customers wrote into the needs list
(also run every night)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from tqdm import tqdm

from guanxi.core.errors import DomainError
from guanxi.core.values import as_of_date
from guanxi.needs.services import needs_mine


class Command(BaseCommand):
    help = _(
        "Mine the texts of tickets, survey answers, reviews and notes into the "
        "needs list: keywords, topics, sentiment, trend, customers and revenue. "
        "Running it again on the same texts gives the same list; statuses stay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["mine"],
            help=_("mine: rebuild the needs list from the texts"),
        )
        parser.add_argument(
            "--since",
            type=as_of_date,
            default=None,
            metavar="DATE",
            help=_("only texts written on this day or later, YYYY-MM-DD"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print exactly one JSON object with the counts"),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("no progress bar on stderr")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = None
        if not options["no_progress"] and not options["json"]:
            bar = tqdm(
                unit=pgettext("progress", "texts"),
                file=sys.stderr,
                desc=_("reading texts"),
            )

        def progress(stage: str, done: int) -> None:
            if bar is None:
                return
            if stage == "found":
                bar.set_description_str(_("writing the needs"))
            bar.update(done - bar.n)

        try:
            result = needs_mine(since=options["since"], progress=progress)
        except DomainError as error:
            raise CommandError(error.message) from None
        finally:
            if bar is not None:
                bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            _(
                "%(needs)d needs in %(topics)d topics from %(texts)d texts in %(seconds).1f s."
            )
            % result.as_dict()
        )
