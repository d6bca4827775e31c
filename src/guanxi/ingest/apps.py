from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "guanxi.ingest"
    label = "ingest"
    verbose_name = _("Imports")
