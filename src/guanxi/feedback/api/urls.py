"""Routes of the tickets API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.feedback.api.attachments import TicketAttachmentsView
from guanxi.feedback.api.views import TicketViewSet

urlpatterns = [
    path(
        "feedback/tickets/",
        TicketViewSet.as_view({"get": "list", "post": "create"}),
        name="api-feedback-ticket-list",
    ),
    path(
        "feedback/tickets/<str:pk>/",
        TicketViewSet.as_view({"get": "retrieve"}),
        name="api-feedback-ticket-detail",
    ),
    path(
        "feedback/tickets/<str:pk>/reply/",
        TicketViewSet.as_view({"post": "reply"}),
        name="api-feedback-ticket-reply",
    ),
    path(
        "feedback/tickets/<str:pk>/status/",
        TicketViewSet.as_view({"post": "status"}),
        name="api-feedback-ticket-status",
    ),
    path(
        "feedback/tickets/<str:pk>/attachments/",
        TicketAttachmentsView.as_view(),
        name="api-feedback-ticket-attachments",
    ),
]
