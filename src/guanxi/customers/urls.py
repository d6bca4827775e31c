"""Customer pages (mounted at ``customers/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer-list"),
    path("<int:pk>/", views.customer_detail, name="customer-detail"),
]
