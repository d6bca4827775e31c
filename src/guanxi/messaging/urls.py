"""Messaging's public pages: the signed one-click unsubscribe link and the
SMS provider's delivery receipts."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging import views

app_name = "messaging"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/receipts/", views.sms_receipts, name="sms-receipts"),
]
