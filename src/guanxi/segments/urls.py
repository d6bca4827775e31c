"""Segment pages (mounted at ``segments/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.segments import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list_page, name="segment-list"),
    path("new/", views.segment_create_page, name="segment-create"),
    path("builder/", views.segment_builder, name="segment-builder"),
    path("preview/", views.segment_preview, name="segment-preview"),
    path("<int:pk>/", views.segment_detail, name="segment-detail"),
    path("<int:pk>/edit/", views.segment_edit_page, name="segment-edit"),
    path("<int:pk>/delete/", views.segment_delete_page, name="segment-delete"),
    path("<int:pk>/export/", views.segment_export, name="segment-export"),
]
