"""``guanxi demo``: fill the database with realistic demo data and demo users."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from guanxi.access.choices import Role
from guanxi.demo.arguments import whole_number
from guanxi.demo.generator import (
    DEMO_LANGUAGES,
    DemoRefused,
    demo_fill,
    demo_language,
)
from guanxi.demo.users import demo_logins_table, demo_users_ensure


class Command(BaseCommand):
    help = _(
        "Add demo customers with orders, interactions and complaints, and one demo "
        "user per role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=whole_number(0),
            default=2000,
            help=_("how many customers to add (default 2000)"),
        )
        parser.add_argument(
            "--seed",
            type=whole_number(0),
            default=0,
            help=_("random seed (default 0)"),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("no progress bar on stderr")
        )
        parser.add_argument(
            "--locale",
            choices=DEMO_LANGUAGES,
            default=None,
            help=_(
                "the language of the names, addresses and texts (default: the "
                "business's language, LANGUAGE_CODE)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            logins = demo_users_ensure()
        except Exception as exc:  # a validator or database refusing a demo user
            raise CommandError(
                _("cannot create the demo users: %(error)s") % {"error": exc}
            ) from exc
        managers = [
            login.user_id for login in logins if login.role == Role.ACCOUNT_MANAGER
        ]
        if options["customers"]:
            try:
                result = demo_fill(
                    customers=options["customers"],
                    seed=options["seed"],
                    managers=managers,
                    progress=not options["no_progress"],
                    language=options["locale"] or demo_language(),
                )
            except DemoRefused as exc:
                raise CommandError(exc.message) from None
            if result.interrupted:
                raise CommandError(
                    "Interrupted: nothing was written. 已中断：未写入任何数据。",
                    returncode=130,
                )
            rate = result.customers / result.seconds if result.seconds else 0.0
            self.stdout.write(
                f"Added {result.customers} customers, {result.orders} orders, "
                f"{result.order_lines} order lines, {result.interactions} interactions "
                f"in {result.seconds:.1f} s ({rate:.0f} customers/s).\n"
                f"已添加 {result.customers} 位客户、{result.orders} 笔订单、"
                f"{result.interactions} 条互动。"
            )
        self.stdout.write("")
        self.stdout.write("Demo logins 演示账号:")
        self.stdout.write(demo_logins_table(logins))
