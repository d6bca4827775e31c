"""Admin for the editable scripts (the thresholds and the plan have their own
page, ``care/settings/``, which checks them and records each change)."""

from __future__ import annotations

from django.contrib import admin

from guanxi.care.models import CareScript


@admin.register(CareScript)
class CareScriptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["signal", "text_zh", "text_en"]
