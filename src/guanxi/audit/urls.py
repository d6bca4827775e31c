"""The audit log's pages (admins only), mounted at ``audit/``."""

from __future__ import annotations

from django.urls import path

from guanxi.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("export.csv", views.event_export, name="event-export"),
]
