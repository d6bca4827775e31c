"""Care pages: the inbox and closing a task (mounted at ``care/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.care import views

app_name = "care"

urlpatterns = [
    path("today/", views.inbox, name="inbox"),
    path("settings/", views.settings_page, name="settings"),
    path("today/count/", views.inbox_count, name="inbox-count"),
    path("report/", views.report, name="report"),
    path("digest/", views.digest_view, name="digest"),
    path("tasks/<int:pk>/close/", views.task_close_view, name="task-close"),
    path(
        "checklist/<int:pk>/done/",
        views.checklist_close_view,
        name="checklist-close",
    ),
]
