"""URLs of exports from the browser (mounted at ``exports/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.exports_mine, name="export-list"),
    path("new/", views.export_create, name="export-create"),
    path("<int:pk>/", views.export_detail, name="export-detail"),
    path("<int:pk>/download/", views.export_download, name="export-download"),
]
