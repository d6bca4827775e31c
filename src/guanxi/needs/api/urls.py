"""Routes of the needs API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.needs.api.views import NeedViewSet

urlpatterns = [
    path("needs/", NeedViewSet.as_view({"get": "list"}), name="api-need-list"),
    path(
        "needs/<str:pk>/",
        NeedViewSet.as_view({"get": "retrieve"}),
        name="api-need-detail",
    ),
    path(
        "needs/<str:pk>/status/",
        NeedViewSet.as_view({"post": "status"}),
        name="api-need-status",
    ),
]
