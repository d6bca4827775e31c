"""``guanxi api-token USERNAME``: create a user's REST API token, or replace
it (``--rotate``). The key is printed once: only its digest is stored."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.access.policies import policy_for
from guanxi.access.selectors import api_token_info
from guanxi.access.services import api_token_issue


class Command(BaseCommand):
    help = _(
        "Create the REST API token of a staff user and print it (once: only "
        "its digest is kept). Send it as the header 'Authorization: Token <key>'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=_("the staff user's username"))
        parser.add_argument(
            "--rotate",
            action="store_true",
            help=_(
                "Replace the user's token with a new one (the old one stops working)."
            ),
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("no user named %(name)s") % {"name": username})
        if not user.is_active:
            raise CommandError(_("user %(name)s is inactive") % {"name": username})
        if not policy_for(user).active:
            raise CommandError(
                _("user %(name)s has no role; give them a role first")
                % {"name": username}
            )
        if not options["rotate"] and api_token_info(user=user) is not None:
            raise CommandError(
                _(
                    "user %(name)s already has a token, which cannot be shown "
                    "again: --rotate replaces it"
                )
                % {"name": username}
            )
        self.stdout.write(api_token_issue(user=user, via="cli"))
