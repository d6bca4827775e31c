"""The customer's feedback pages: signed links, no login (mounted at ``f/``)."""

from __future__ import annotations

from django.urls import path

from guanxi.feedback import attachment_views, inbound_views, views

app_name = "feedback-public"

urlpatterns = [
    path("mail/inbound/", inbound_views.inbound_mail, name="inbound-mail"),
    path("<str:token>/", views.public_form, name="form"),
    path("t/<str:token>/", views.public_ticket, name="ticket"),
    path(
        "t/<str:token>/files/<int:file_pk>/",
        attachment_views.public_attachment_file,
        name="attachment",
    ),
]
