from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from guanxi.access.models import StaffProfile
from guanxi.audit.services import AuditAction, staff_changed


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "role"]
    list_filter = ["role"]
    search_fields = ["user__username"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        """A role set here is audited like one set on the team page."""
        before = form.initial.get("role", "") if change else ""
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if obj.role != before:
                staff_changed(
                    actor=request.user,
                    action=AuditAction.ROLE_CHANGED,
                    user=obj.user,
                    from_role=before,
                    to_role=obj.role,
                    via="admin",
                )
