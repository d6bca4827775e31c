"""Admin for the care settings and the editable scripts."""

from __future__ import annotations

from django.contrib import admin

from guanxi.care.models import CareScript, CareSettings


@admin.register(CareSettings)
class CareSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    pass


@admin.register(CareScript)
class CareScriptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["signal", "text_zh", "text_en"]
