from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "guanxi.ingest"
    label = "ingest"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # Waiting uploads are sealed with the encryption key: a rotation seals
        # them again (guanxi keys rotate).
        from guanxi.core.keyring import register_file_store
        from guanxi.ingest.atrest import upload_files_reencrypt

        register_file_store("ingest.ImportJob.file", upload_files_reencrypt)
