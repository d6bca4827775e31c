"""URLs of the import wizard (mounted at ``imports/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.job_detail, name="job-detail"),
    path("<int:pk>/mapping/", views.job_mapping, name="job-mapping"),
    path("<int:pk>/preview/", views.job_preview, name="job-preview"),
    path("<int:pk>/confirm/", views.job_confirm, name="job-confirm"),
    path("<int:pk>/progress/", views.job_progress, name="job-progress"),
    path("<int:pk>/rejected-rows/", views.job_rejects, name="job-rejects"),
]
