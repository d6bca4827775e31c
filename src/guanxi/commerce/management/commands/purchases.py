"""``guanxi purchases refresh``: recompute every customer's kept purchase
aggregates from the orders (repair; every writer of orders keeps them)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.commerce.services import order_purchases_refresh


class Command(BaseCommand):
    help = _(
        "Recompute every customer's total spend, order count and first and last "
        "purchase from the orders (a repair: every way orders are written "
        "keeps them up to date)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["refresh"],
            help=_("refresh: recompute every customer's figures"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        with transaction.atomic():
            order_purchases_refresh(customer_ids=None)
        self.stdout.write(
            _("purchase figures recomputed for every customer in %(s).1f s")
            % {"s": time.perf_counter() - started}
        )
