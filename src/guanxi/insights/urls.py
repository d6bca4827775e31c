"""URLs of scoring runs and their settings (mounted at ``insights/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.insights import views

app_name = "insights"

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.run_start, name="run-start"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("settings/", views.settings_page, name="settings"),
]
