from __future__ import annotations

from django.contrib import admin

from guanxi.customers.models import Customer, CustomerIdentity, Tag


class CustomerIdentityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CustomerIdentity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "name", "city", "assigned_manager", "created_at"]
    list_filter = ["city", "gender"]
    raw_id_fields = ["assigned_manager"]
    exclude = ["phone_index", "email_index", "name_tokens", "birth_year"]
    inlines = [CustomerIdentityInline]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from guanxi.customers.services import customer_apply_contact

        customer_apply_contact(obj)
        super().save_model(request, obj, form, change)


admin.site.register(Tag)
