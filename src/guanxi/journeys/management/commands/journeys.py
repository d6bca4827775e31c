"""``guanxi journeys run|list|enable|disable``: the journeys' scheduler and
switches."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError, NotFound
from guanxi.core.values import as_of_date
from guanxi.journeys.choices import JourneyState
from guanxi.journeys.selectors import journey_list
from guanxi.journeys.services import (
    journey_playbooks_ensure,
    journey_set_state,
    journeys_run,
)


class Command(BaseCommand):
    help = _(
        "Journeys: run the scheduler for a day (date and schedule triggers, due "
        "waits), list the journeys, switch one on or off, add the shipped "
        "playbooks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["run", "list", "enable", "disable", "playbooks"],
            help=_(
                "run: the scheduler for a day; list: the journeys; enable, "
                "disable: switch one on or off; playbooks: add the shipped ones"
            ),
        )
        parser.add_argument(
            "slug",
            nargs="?",
            default=None,
            metavar="SLUG",
            help=_("enable, disable: the journey's short name"),
        )
        parser.add_argument(
            "--as-of",
            type=as_of_date,
            default=None,
            metavar="DATE",
            help=_("run: the day, YYYY-MM-DD (default: now)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print exactly one JSON object"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "run":
            self._run(options)
        elif action == "list":
            self._list(options)
        elif action == "playbooks":
            added = journey_playbooks_ensure(actor=None)
            self.stdout.write(
                _("Playbooks added (off): %(slugs)s.") % {"slugs": ", ".join(added)}
                if added
                else _("The shipped playbooks are there already.")
            )
        else:
            self._switch(action == "enable", options["slug"])

    def _run(self, options: dict[str, Any]) -> None:
        try:
            counts = journeys_run(as_of=options["as_of"])
        except DomainError as error:
            raise CommandError(error.message) from None
        figures = counts.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        self.stdout.write(
            _(
                "Journeys: %(evaluated)d evaluated, %(enrolled)d enrolled, "
                "%(advanced)d steps run, %(queued)d messages queued in %(seconds).1f s."
            )
            % figures
        )

    def _list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "slug": row.slug,
                "state": row.state,
                "name_zh": row.name_zh,
                "name_en": row.name_en,
                "version": row.version_number,
                "active": row.active,
            }
            for row in journey_list()
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"journeys": rows}, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(_("No journeys yet."))
        for row in rows:
            # The JSON keeps the state's value; the text names it in words.
            shown = {**row, "state": JourneyState(str(row["state"])).label}
            self.stdout.write(
                _("%(slug)s\t%(state)s\tv%(version)s\t%(active)d in the journey")
                % shown
            )

    def _switch(self, on: bool, slug: str | None) -> None:
        if not slug:
            raise CommandError(
                _("Name the journey: guanxi journeys enable SLUG."), returncode=2
            )
        try:
            journey = journey_set_state(actor=None, slug=slug, on=on)
        except NotFound as error:
            raise CommandError(error.message, returncode=2) from None
        except DomainError as error:  # e.g. a coupon it issues is switched off
            raise CommandError(error.message) from None
        self.stdout.write(
            (_("%(slug)s is on.") if on else _("%(slug)s is off."))
            % {"slug": journey.slug}
        )
