from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "guanxi.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from guanxi.access.sessions import on_user_logged_in
        from guanxi.access.twofactor import on_user_logged_in as two_factor_marks

        # Django's only hook into login(): the session's marks (sessions.py).
        user_logged_in.connect(on_user_logged_in, dispatch_uid="guanxi.sessions")
        user_logged_in.connect(two_factor_marks, dispatch_uid="guanxi.twofactor")
