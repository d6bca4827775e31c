from __future__ import annotations

from django.contrib import admin

from guanxi.access.models import StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "role"]
    list_filter = ["role"]
    search_fields = ["user__username"]
