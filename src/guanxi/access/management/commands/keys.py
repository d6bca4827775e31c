"""``guanxi keys rotate|status|prune``: rotate the encryption, blind-index or
pseudonym key, show which key encrypted what, drop retired blind-index keys no
erased contact needs (guanxi.access.keyrotation)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from guanxi.access.choices import KeyKind
from guanxi.access.keyrotation import (
    BlindKey,
    key_prune,
    key_rotate,
    key_status,
    rotate_flag,
)
from guanxi.core.errors import DomainError


def _batches(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        import argparse

        raise argparse.ArgumentTypeError(
            _("--max-batches must be a whole number from 1")
        )
    return value


class Command(BaseCommand):
    help = _(
        "Rotate a key: 'rotate' makes a new encryption key primary and "
        "re-encrypts every encrypted value under it (--blind-index, --pseudonym: "
        "a new key for the search keys or the pseudonyms, and rebuilds them); "
        "killed or stopped, run it again to resume. 'status' shows the keys, "
        "which key encrypted how many values and how many erased contacts each "
        "blind-index key guards. 'prune' drops the retired blind-index keys no "
        "erased contact needs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["rotate", "status", "prune"],
            help=_(
                "rotate: a new key, every value moved under it; status: the keys "
                "and what they guard; prune: drop the retired blind-index keys "
                "nobody needs"
            ),
        )
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--blind-index",
            action="store_true",
            help=_("rotate the blind-index key and rebuild the search keys"),
        )
        which.add_argument(
            "--pseudonym",
            action="store_true",
            help=_("rotate the pseudonym key and rebuild the pseudonyms"),
        )
        parser.add_argument(
            "--key-id",
            default=None,
            metavar="ID",
            help=_(
                "re-encrypt under this configured key (default: a new key; with "
                "keys from the environment: the primary key)"
            ),
        )
        parser.add_argument(
            "--max-batches",
            type=_batches,
            default=None,
            metavar="N",
            help=_("stop after N batches (run again to go on)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print exactly one JSON object"),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("no progress bar on stderr")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self._status(as_json=options["json"])
            return
        if options["action"] == "prune":
            self._prune(as_json=options["json"])
            return
        kind = KeyKind.ENCRYPTION
        if options["blind_index"]:
            kind = KeyKind.BLIND_INDEX
        elif options["pseudonym"]:
            kind = KeyKind.PSEUDONYM
        if options["key_id"] is not None and kind != KeyKind.ENCRYPTION:
            raise CommandError(_("--key-id names an encryption key only"))
        bar: Any = None

        def total(rows: int) -> None:
            nonlocal bar
            if not options["no_progress"]:
                bar = tqdm(
                    total=rows, unit=_("rows"), file=sys.stderr, desc=str(kind.label)
                )

        def progress(rows: int, _rewritten: int) -> None:
            if bar is not None:
                bar.update(rows)

        try:
            result = key_rotate(
                kind=kind,
                key_id=options["key_id"],
                max_batches=options["max_batches"],
                progress=progress,
                on_total=total,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        finally:
            if bar is not None:
                bar.close()
        if not result.finished:
            sys.stderr.write(
                _(
                    "Stopped before the end: run 'guanxi keys rotate%(flag)s' again to go on."
                )
                % {"flag": rotate_flag(kind)}
                + "\n"
            )
        if kind == KeyKind.ENCRYPTION:
            out: dict[str, Any] = {"key_id": result.key_id, "reencrypted": result.count}
        else:
            out = {"key": kind.value, "rebuilt": result.count}
        if not result.finished:
            out["finished"] = False
        if options["json"]:
            self.stdout.write(json.dumps(out))
            return
        if kind == KeyKind.ENCRYPTION:
            text = _("Key %(key_id)s is primary; %(n)d values re-encrypted under it.")
        else:
            text = _("%(key)s rotated; %(n)d customers rebuilt.")
        self.stdout.write(
            text % {"key_id": result.key_id, "key": kind.label, "n": result.count}
        )
        if kind != KeyKind.ENCRYPTION and result.finished:
            self.stdout.write(
                _("Restart the running Guanxi processes so they use the new key.")
            )

    def _prune(self, *, as_json: bool) -> None:
        try:
            result = key_prune()
        except DomainError as error:
            raise CommandError(error.message) from None
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "dropped": list(result.dropped),
                        "removable": list(result.removable),
                        "kept": list(result.kept),
                    }
                )
            )
            return
        if result.dropped:
            text = _("Retired blind-index keys dropped: %(ids)s.") % {
                "ids": ", ".join(result.dropped)
            }
        elif result.removable:
            text = _(
                "No erased contact needs the retired blind-index keys %(ids)s: "
                "remove them from GUANXI_BLIND_INDEX_KEYS_RETIRED."
            ) % {"ids": ", ".join(result.removable)}
        else:
            text = _("No retired blind-index key to drop.")
        if result.kept:
            text += "\n" + _("Kept (erased contacts need them): %(ids)s.") % {
                "ids": ", ".join(result.kept)
            }
        self.stdout.write(text)

    def _status(self, *, as_json: bool) -> None:
        status = key_status()
        unfinished = status.unfinished
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "primary": status.primary,
                        "configured": list(status.configured),
                        "values_by_key": status.values_by_key,
                        "key_file": status.key_file,
                        "unfinished": None
                        if unfinished is None
                        else {
                            "key": unfinished.kind,
                            "key_id": unfinished.key_id,
                            "rewritten": unfinished.count,
                        },
                        "blind_index_keys": [k.as_dict() for k in status.blind_keys],
                        "last_rotated": {
                            kind: rotation.finished_at.isoformat()
                            for kind, rotation in status.last.items()
                            if rotation.finished_at is not None
                        },
                    }
                )
            )
            return
        lines = [
            _("Primary encryption key: %(key_id)s") % {"key_id": status.primary},
            _("Configured encryption keys: %(ids)s")
            % {"ids": ", ".join(status.configured)},
            _("Key file: %(path)s")
            % {"path": status.key_file or _("none (keys from the environment)")},
            _("Encrypted values by key:"),
        ]
        lines += [f"  {kid}: {n}" for kid, n in status.values_by_key.items()] or ["  -"]
        lines.append(_("Blind-index keys (erased contacts each guards):"))
        lines += [_blind_line(key) for key in status.blind_keys]
        if unfinished is not None:
            lines.append(
                _(
                    "Unfinished rotation of the %(key)s (%(n)d rewritten so far): "
                    "run 'guanxi keys rotate%(flag)s' to finish it."
                )
                % {
                    "key": KeyKind(unfinished.kind).label,
                    "n": unfinished.count,
                    "flag": rotate_flag(KeyKind(unfinished.kind)),
                }
            )
        for kind in KeyKind:
            rotation = status.last.get(kind.value)
            when = (
                rotation.finished_at.strftime("%Y-%m-%d %H:%M")
                if rotation is not None and rotation.finished_at is not None
                else _("never")
            )
            lines.append(
                _("%(key)s last rotated: %(when)s") % {"key": kind.label, "when": when}
            )
        self.stdout.write("\n".join(lines))


def _blind_line(key: BlindKey) -> str:
    if key.state == "current":
        text = _("%(key_id)s: current, %(n)d erased contacts")
    elif key.state == "retired":
        text = _("%(key_id)s: retired %(day)s, %(n)d erased contacts")
    else:
        text = _("%(key_id)s: not configured, %(n)d erased contacts match nothing")
    return "  " + text % {
        "key_id": key.key_id,
        "day": key.retired_on or "-",
        "n": key.erased_contacts,
    }
