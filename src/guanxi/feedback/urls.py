"""Feedback pages for staff (mounted at ``feedback/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.feedback import attachment_views, inbound_views, views

app_name = "feedback"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.ticket_new, name="ticket-new"),
    path("settings/", views.settings_page, name="settings"),
    path("report/", views.report, name="report"),
    path("inbound/", inbound_views.triage, name="inbound-triage"),
    path("<int:pk>/", views.ticket_detail, name="ticket"),
    path("<int:pk>/reply/", views.ticket_reply_view, name="ticket-reply"),
    path("<int:pk>/status/", views.ticket_status_view, name="ticket-status"),
    path(
        "<int:pk>/files/",
        attachment_views.ticket_attachments_add,
        name="ticket-attachments",
    ),
    path(
        "<int:pk>/files/<int:file_pk>/",
        attachment_views.attachment_file,
        name="attachment",
    ),
]
