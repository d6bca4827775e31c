"""Messaging's public pages: the signed one-click unsubscribe link, the
customer's preference page, the SMS provider's delivery receipts, e-mail
tracking (open pixel, click links) and the mail provider's bounces and
complaints."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging import preference_views, views

app_name = "messaging"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "preferences/<str:token>/",
        preference_views.preferences,
        name="preferences",
    ),
    path("sms/receipts/", views.sms_receipts, name="sms-receipts"),
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
    path("email/events/", views.email_events, name="email-events"),
]
