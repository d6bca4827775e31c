"""The data-subject requests' pages (admins only), mounted at ``privacy/``."""

from __future__ import annotations

from django.urls import path

from guanxi.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("<int:pk>/complete/", views.request_complete_view, name="request-complete"),
    path("<int:pk>/export.json", views.request_export_json, name="request-export-json"),
    path("<int:pk>/export.zip", views.request_export_zip, name="request-export-zip"),
]
