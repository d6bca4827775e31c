"""``guanxi pairs compute``: the co-purchase pairs behind the
customer page's "often bought together" card (also computed after each
scoring run)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanxi.coupons.services import product_pairs_compute


def _at_least_one(value: str) -> int:
    import argparse

    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_("expected a whole number of at least 1"))
    return number


class Command(BaseCommand):
    help = _(
        "Compute which products are bought together (support, confidence, lift) "
        "from the order lines, replacing the pairs computed before."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["compute"],
            help=_("compute: recompute the pairs from the order lines"),
        )
        parser.add_argument(
            "--min-customers",
            type=_at_least_one,
            default=3,
            metavar="N",
            help=_("a pair needs at least N customers who bought both (default 3)"),
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help=_("print exactly one JSON object with the counts"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        done = product_pairs_compute(min_together=options["min_customers"])
        counts = {
            "pairs": done.pairs,
            "customers": done.customers,
            "seconds": round(done.seconds, 3),
        }
        if options["json"]:
            self.stdout.write(json.dumps(counts))
            return
        self.stdout.write(
            _(
                "%(pairs)d product pairs from %(customers)d customers' purchases "
                "in %(seconds).1f s."
            )
            % counts
        )
