"""``guanxi score``: score every customer as of a date (default today)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from tqdm import tqdm

from guanxi.core.errors import DomainError
from guanxi.core.values import as_of_date
from guanxi.insights.choices import Quadrant, Stage
from guanxi.insights.services import score_run


class Command(BaseCommand):
    help = _(
        "Score every customer as of a date: RFM, current and potential value, "
        "quadrant, lifecycle stage, emotion layer, P(alive) and churn risk. "
        "One snapshot per customer and date; running a date again rewrites it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            type=as_of_date,
            default=None,
            metavar="DATE",
            help=_("score as of the end of this day, YYYY-MM-DD (default: today)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print exactly one JSON object with the counts"),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("no progress bar on stderr")
        )
        parser.add_argument(
            "--with-followups",
            action="store_true",
            help=_(
                "also run the follow-ups before returning: automatic tags, "
                "segment counts, warnings and the co-purchase pairs (by "
                "default they are queued for the task worker)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bar = None
        if not options["no_progress"]:
            bar = tqdm(total=100, unit="%", file=sys.stderr, desc=_("scoring"))

        def progress(step: str, done: float) -> None:
            if bar is not None:
                bar.set_description_str(_(step))
                bar.update(int(done * 100) - bar.n)

        try:
            run = score_run(
                as_of=options["as_of"],
                progress=progress,
                queue_followups=not options["with_followups"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        finally:
            if bar is not None:
                bar.close()
        summary = run.summary
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "as_of": summary["as_of"],
                        "customers": summary["customers"],
                        "segments": summary["segments"],
                        "quadrants": summary["quadrants"],
                        "stages": summary["stages"],
                        "seconds": summary["seconds"],
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(
            _("Scored %(customers)d customers as of %(date)s in %(seconds).1f s.")
            % {
                "customers": summary["customers"],
                "date": summary["as_of"],
                "seconds": summary["seconds"],
            }
        )
        for title, counts, labels in (
            (_("Quadrants"), summary["quadrants"], Quadrant),
            (_("Stages"), summary["stages"], Stage),
        ):
            shown = ", ".join(
                f"{labels(name).label} {count}" for name, count in counts.items()
            )
            self.stdout.write(f"  {title}: {shown}")
        chinese = (translation.get_language() or "").startswith("zh")
        for note in summary.get("notes", []):
            self.stderr.write(note["message_zh"] if chinese else note["message_en"])
        if run.message:
            self.stderr.write(run.message)
