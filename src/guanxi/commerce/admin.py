from __future__ import annotations

from typing import Any

from django.contrib import admin

from guanxi.commerce.bulk import order_revision_bump
from guanxi.commerce.models import Order, OrderLine, Product


class OrderLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Orders edited or deleted here raise the orders' revision like every
    other writer of orders (the admin saves in one transaction per change)."""

    list_display = [
        "id",
        "source",
        "external_id",
        "customer",
        "ordered_at",
        "amount",
        "status",
    ]
    list_filter = ["status", "source", "store"]
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline]
    show_full_result_count = False

    def save_model(self, request: Any, obj: Any, form: Any, change: Any) -> None:
        super().save_model(request, obj, form, change)
        order_revision_bump()

    def save_formset(self, request: Any, form: Any, formset: Any, change: Any) -> None:
        super().save_formset(request, form, formset, change)
        order_revision_bump()

    def delete_model(self, request: Any, obj: Any) -> None:
        super().delete_model(request, obj)
        order_revision_bump()

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        order_revision_bump()


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["sku", "name", "category"]
    search_fields = ["sku", "name"]
