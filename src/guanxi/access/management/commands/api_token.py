"""``guanxi api-token USERNAME``: create (or show) a user's REST API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from guanxi.access.policies import policy_for


class Command(BaseCommand):
    help = _(
        "Print the REST API token of a staff user, creating it if needed. "
        "Send it as the header 'Authorization: Token <key>'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
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
        if options["rotate"]:
            Token.objects.filter(user=user).delete()
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
