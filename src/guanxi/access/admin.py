from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from rest_framework.authtoken.models import TokenProxy

from guanxi.access.models import StaffProfile
from guanxi.audit.services import AuditAction, staff_changed

# DRF's token model stays installed only so that its old keys could be moved
# into ApiToken (hashed) by a migration; its table is empty and its admin page
# would offer to make tokens kept in clear. (rest_framework.authtoken comes
# before guanxi.access in INSTALLED_APPS, so its admin is registered by now.)
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


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
