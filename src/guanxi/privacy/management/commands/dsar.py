"""``guanxi dsar export CUSTOMER_ID [--out FILE]``: everything held about one
customer as JSON (or, for a ``.zip`` file, CSV files);
``guanxi dsar erase CUSTOMER_ID --yes [--json]``: erase them."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError
from guanxi.privacy.services import (
    customer_erase,
    dsar_export,
    dsar_export_json,
    dsar_export_zip_write,
)


class Command(BaseCommand):
    help = _(
        "Data-subject requests: export everything held about one customer "
        "(JSON, or a ZIP of CSV files), or erase them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["export", "erase"],
            help=_(
                "export: everything held about the customer; erase: their personal data"
            ),
        )
        parser.add_argument("customer_id", help=_("the customer's number"))
        parser.add_argument(
            "--out",
            help=_("export: write to this file (.json or .zip); default stdout"),
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help=_("erase: confirm (it cannot be undone)"),
        )
        parser.add_argument(
            "--json", action="store_true", help=_("erase: one JSON object")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = str(options["customer_id"])
        if not raw.isdigit() or len(raw) > 18:
            raise CommandError(
                _("The customer number must be a whole number, like 42.")
            )
        customer_id = int(raw)
        try:
            if options["action"] == "export":
                self._export(customer_id, options.get("out"))
            else:
                self._erase(customer_id, yes=options["yes"], as_json=options["json"])
        except DomainError as error:
            raise CommandError(str(error)) from None

    def _export(self, customer_id: int, out: str | None) -> None:
        target = Path(out) if out else None
        if target is not None and target.suffix.lower() not in (".json", ".zip"):
            raise CommandError(_("--out must name a .json or a .zip file."))
        if target is not None and not target.parent.is_dir():
            # Before the export: an export is audited, and nothing was written.
            raise CommandError(
                _("--out: the folder %(folder)s does not exist.")
                % {"folder": target.parent}
            )
        data = dsar_export(customer_id=customer_id, actor=None, via="cli")
        if target is None:
            self.stdout.write(dsar_export_json(data))
        elif target.suffix.lower() == ".zip":
            # Written beside the target and renamed at the end: a failed
            # export leaves no half file; memory holds one attachment at most.
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".guanxi-dsar-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    dsar_export_zip_write(data, fh)
                os.replace(temporary, target)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        else:
            target.write_text(dsar_export_json(data), encoding="utf-8")

    def _erase(self, customer_id: int, *, yes: bool, as_json: bool) -> None:
        if not yes:
            raise CommandError(
                _(
                    "Erasing customer %(id)s deletes their profile, messages and "
                    "marketing data for good: add --yes to confirm."
                )
                % {"id": customer_id}
            )
        result = customer_erase(customer_id=customer_id, actor=None, via="cli")
        if as_json:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        self.stdout.write(
            _("Customer %(id)s erased; %(orders)s orders kept, pseudonymised.")
            % {"id": customer_id, "orders": result.orders_pseudonymised}
        )
