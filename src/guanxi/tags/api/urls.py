"""Routes of the tags API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.tags.api.views import CustomerTagViewSet, TagViewSet

urlpatterns = [
    path("tags/", TagViewSet.as_view({"get": "list"}), name="api-tag-list"),
    path(
        "customers/<str:customer_id>/tags/",
        CustomerTagViewSet.as_view({"get": "list", "post": "create"}),
        name="api-customer-tag-list",
    ),
    path(
        "customers/<str:customer_id>/tags/<str:tag_id>/",
        CustomerTagViewSet.as_view({"delete": "destroy"}),
        name="api-customer-tag-detail",
    ),
]
