"""Staff pages of message templates and sending (mounted at ``messages/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.messaging import template_views as views

app_name = "message-templates"

urlpatterns = [
    path("templates/", views.template_list_page, name="template-list"),
    path("templates/new/", views.template_create_page, name="template-create"),
    path("templates/preview/", views.template_preview_panel, name="template-preview"),
    path("templates/<int:pk>/", views.template_edit_page, name="template-edit"),
    path(
        "templates/<int:pk>/delete/",
        views.template_delete_page,
        name="template-delete",
    ),
    path("send/", views.send_page, name="send"),
    path("send/preview/", views.send_preview, name="send-preview"),
]
