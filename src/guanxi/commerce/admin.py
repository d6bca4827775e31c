from __future__ import annotations

from django.contrib import admin

from guanxi.commerce.models import Order, OrderLine, Product


class OrderLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
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


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["sku", "name", "category"]
    search_fields = ["sku", "name"]
