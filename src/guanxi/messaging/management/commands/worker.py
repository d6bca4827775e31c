"""``guanxi worker``: the task worker in the foreground (the one ``guanxi
start`` runs beside the web server): Huey on SQLite storage, or on Redis when
``REDIS_URL`` is set (then workers may run on several machines)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanxi.demo.services import whole_number
from guanxi.messaging.services import messages_dispatch_soon


class Command(BaseCommand):
    help = _(
        "Run the task worker in the foreground (sends messages, runs imports and "
        "scoring)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threads",
            type=whole_number(1, 64),
            default=2,
            help=_("worker threads (default 2)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Messages left by a worker that died (their lease lapsed) and retries
        # that came due are sent now, not at the next minute's sweep.
        messages_dispatch_soon()
        call_command(
            "run_huey",
            "-w",
            str(options["threads"]),
            "-k",
            "thread",
            "-d",
            "0.1",
            "--quiet",
        )
