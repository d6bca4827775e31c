"""Routes of the care API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.care.api.views import TaskViewSet, WarningViewSet

urlpatterns = [
    path(
        "care/tasks/", TaskViewSet.as_view({"get": "list"}), name="api-care-task-list"
    ),
    path(
        "care/tasks/<str:pk>/close/",
        TaskViewSet.as_view({"post": "close"}),
        name="api-care-task-close",
    ),
    path(
        "care/warnings/",
        WarningViewSet.as_view({"get": "list"}),
        name="api-care-warning-list",
    ),
]
