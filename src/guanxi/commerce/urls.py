"""Order pages (mounted at ``orders/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.commerce import views

app_name = "commerce"

urlpatterns = [
    path("", views.order_list, name="order-list"),
    path("summary/", views.order_summary_view, name="order-summary"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
]
