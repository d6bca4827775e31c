"""Messaging's public pages: the signed one-click unsubscribe link, the SMS
provider's delivery receipts, e-mail tracking (open pixel, click links) and
the mail provider's bounces and complaints."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging import views

app_name = "messaging"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/receipts/", views.sms_receipts, name="sms-receipts"),
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
    path("email/events/", views.email_events, name="email-events"),
]
