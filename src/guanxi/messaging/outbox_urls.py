"""The outbox pages (mounted at ``messages/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging import outbox_views

app_name = "outbox"

urlpatterns = [
    path("", outbox_views.message_list, name="message-list"),
    path("<int:pk>/", outbox_views.message_detail, name="message-detail"),
]
