"""``guanxi export customers|orders``: customers or orders as CSV, XLSX or JSON."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError
from guanxi.exports.services import export_check, export_run, full_access_actor


class _StdoutText:
    """Lets the writers stream text into the command's stdout."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def write(self, text: str) -> int:
        self.command.stdout.write(text, ending="")
        return len(text)


class Command(BaseCommand):
    help = _(
        "Export customers or orders as CSV, XLSX or JSON. With --as USERNAME the "
        "export shows only what that user may see; without it, everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=_("customers or orders"))
        parser.add_argument(
            "--format", dest="fmt", default="csv", help=_("csv (default), xlsx or json")
        )
        parser.add_argument(
            "--out",
            help=_("file to write (default: standard output; xlsx needs a file)"),
        )
        parser.add_argument(
            "--as", dest="as_user", help=_("export with this user's role and scope")
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("no progress bar on stderr")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind, fmt, out = options["kind"], options["fmt"], options["out"]
        if options["as_user"] is not None:
            User = get_user_model()
            actor = User.objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(
                    _('no user named "%(user)s"') % {"user": options["as_user"]}
                )
        else:
            actor = full_access_actor()
        try:
            export_check(kind=kind, fmt=fmt, actor=actor)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if fmt == "xlsx" and not out:
            raise CommandError(_("xlsx needs --out FILE"))
        progress = not options["no_progress"]
        if not out:
            try:
                export_run(
                    kind=kind,
                    fmt=fmt,
                    actor=actor,
                    out=_StdoutText(self),
                    destination="stdout",
                    progress=progress,
                )
            except BrokenPipeError:  # `guanxi export … | head`: the reader left
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            except DomainError as exc:
                raise CommandError(exc.message) from None
            return
        target = Path(out).resolve()
        if not target.parent.is_dir():
            raise CommandError(
                _("folder %(folder)s does not exist") % {"folder": target.parent}
            )
        # Write beside the target and rename at the end: a failed export leaves
        # no half-written file behind.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".guanxi-export-")
        try:
            if fmt == "xlsx":
                with os.fdopen(fd, "wb") as fh:
                    self._run(kind, fmt, actor, fh, target, progress)
            else:
                encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
                with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
                    self._run(kind, fmt, actor, fh, target, progress)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.stderr.write(_("Wrote %(path)s") % {"path": target})

    def _run(
        self, kind: str, fmt: str, actor: Any, fh: Any, target: Path, progress: bool
    ) -> None:
        try:
            export_run(
                kind=kind,
                fmt=fmt,
                actor=actor,
                out=fh,
                destination=str(target),
                progress=progress,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
