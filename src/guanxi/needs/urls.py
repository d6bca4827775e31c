"""The needs list pages, mounted at ``needs/``."""

from __future__ import annotations

from django.urls import path

from guanxi.needs import views

app_name = "needs"

urlpatterns = [
    path("", views.needs_list, name="list"),
    path("<int:pk>/", views.need_detail, name="detail"),
    path("<int:pk>/status/", views.need_status, name="status"),
    path("<int:pk>/merge/", views.need_merge_view, name="merge"),
    path("<int:pk>/notify/", views.need_loop, name="notify"),
]
