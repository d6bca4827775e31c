from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "guanxi.commerce"
    label = "commerce"
    verbose_name = _("Commerce")
