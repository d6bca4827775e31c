"""The channels' settings page for admins (mounted at ``messages/channels/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging import channel_views

app_name = "messaging-channels"

urlpatterns = [
    path("", channel_views.channels, name="channels"),
    path("test-email/", channel_views.test_email, name="test-email"),
]
