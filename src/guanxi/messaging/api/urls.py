"""Routes of the messaging API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging.api.views import ConsentViewSet

urlpatterns = [
    path(
        "customers/<str:customer_id>/consent/",
        ConsentViewSet.as_view({"get": "list", "post": "create"}),
        name="api-customer-consent",
    ),
]
