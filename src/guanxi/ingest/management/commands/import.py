"""``guanxi import customers|orders|interactions FILE``: all rows or none."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from tqdm import tqdm

from guanxi.core.errors import ValidationFailed
from guanxi.core.i18n import terminal_language
from guanxi.ingest.choices import ImportKind
from guanxi.ingest.errors import ImportRejected, RowError
from guanxi.ingest.readers import open_table
from guanxi.ingest.services import ImportReport, import_run


class Command(BaseCommand):
    help = _(
        "Import customers, orders or interactions from a CSV (UTF-8, UTF-8 with BOM, "
        "GBK/GB18030) or XLSX file. Every row is validated first; if any row is "
        "invalid nothing is written and every problem is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind",
            choices=ImportKind.values,
            help=_("what the file holds: customers, orders or interactions"),
        )
        parser.add_argument("file", help=_("the CSV or XLSX file"))
        parser.add_argument(
            "--preset",
            default="generic",
            help=_("column preset: generic, shopify, youzan or a saved one"),
        )
        parser.add_argument(
            "--mapping",
            default=None,
            help=_('JSON {field: header}, e.g. {"phone": "联系电话"}'),
        )
        parser.add_argument(
            "--source",
            default=None,
            help=_("source system name for ids (default: the preset's, e.g. shopify)"),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("validate and report, write nothing"),
        )
        parser.add_argument(
            "--json", action="store_true", help=_("print one JSON object on stdout")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(terminal_language()):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        as_json: bool = options["json"]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("no such file: %(path)s") % {"path": path})
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"])
            except json.JSONDecodeError:
                raise CommandError(
                    _("--mapping is not valid JSON (expected {field: header})")
                ) from None
        table = None
        try:
            table = open_table(path)
            # No monitor thread: a single-threaded process may parse large
            # files in a forked helper process (see import_run).
            tqdm.monitor_interval = 0
            with tqdm(
                total=table.total,
                unit=_("rows"),
                file=sys.stderr,
                disable=None,
                desc=_("import"),
            ) as bar:
                report = import_run(
                    kind=options["kind"],
                    table=table,
                    preset=options["preset"],
                    mapping=mapping,
                    source=options["source"],
                    dry_run=options["dry_run"],
                    progress=bar.update,
                )
        except ImportRejected as exc:
            report = ImportReport.for_refused_file(
                kind=options["kind"], errors=exc.errors
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message) from None
        finally:
            if table is not None:
                table.close()
        self._print(report, as_json=as_json)
        if report.refused:
            raise CommandError(_("the file was refused, nothing was written"))
        if not report.ok:
            raise CommandError(
                _("import rejected: %(n)d rows with problems, nothing was written")
                % {"n": report.rejected_rows}
            )

    def _print(self, report: ImportReport, *, as_json: bool) -> None:
        limit = {"limit": f"{report.limit:,}"}
        for notice in report.notices:
            self.stderr.write(_("notice: %(notice)s") % {"notice": notice})
        if report.notices_not_shown:
            self.stderr.write(
                _(
                    "notice: and %(n)s more (the first %(limit)s are listed; an "
                    "admin can raise this with GUANXI_IMPORT_MAX_ERRORS)"
                )
                % {"n": f"{report.notices_not_shown:,}", **limit}
            )
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors_not_shown:
            self.stderr.write(
                _(
                    "and %(n)s more (the first %(limit)s are listed; an admin can "
                    "raise this with GUANXI_IMPORT_MAX_ERRORS)"
                )
                % {"n": f"{report.errors_not_shown:,}", **limit}
            )
        if not report.ok:
            return
        counts = report.as_dict()
        summary = (
            _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % counts
        )
        if report.kind != ImportKind.CUSTOMERS:
            summary += _(" (customers: %(c)d created, %(u)d updated)") % {
                "c": report.customers_created,
                "u": report.customers_updated,
            }
        if report.dry_run:
            summary = _("dry run, nothing written: %(summary)s") % {"summary": summary}
        self.stdout.write(summary)


__all__ = ["Command", "RowError"]
