"""Top-level URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("guanxi.web.api_urls")),
    path("imports/", include("guanxi.ingest.urls")),
    path("customers/", include("guanxi.customers.urls")),
    path("orders/", include("guanxi.commerce.urls")),
    path("exports/", include("guanxi.exports.urls")),
    path("insights/playbook/", include("guanxi.insights.playbook.urls")),
    path("insights/", include("guanxi.insights.urls")),
    path("", include("guanxi.tags.urls")),
    path("segments/", include("guanxi.segments.urls")),
    path("m/", include("guanxi.messaging.urls")),
    path("messages/channels/", include("guanxi.messaging.channel_urls")),
    path("messages/", include("guanxi.messaging.template_urls")),
    path("messages/", include("guanxi.messaging.outbox_urls")),
    path("care/", include("guanxi.care.urls")),
    path("journeys/", include("guanxi.journeys.urls")),
    path("audit/", include("guanxi.audit.urls")),
    path("privacy/", include("guanxi.privacy.urls")),
    path("feedback/", include("guanxi.feedback.urls")),
    path("f/", include("guanxi.feedback.public_urls")),
    path("surveys/", include("guanxi.surveys.urls")),
    path("s/", include("guanxi.surveys.public_urls")),
    path("coupons/", include("guanxi.coupons.urls")),
    path("needs/", include("guanxi.needs.urls")),
    path("", include("guanxi.access.urls")),
    path("", include("guanxi.web.urls")),
]

handler400 = "guanxi.web.errors.bad_request"
handler403 = "guanxi.web.errors.permission_denied"
handler404 = "guanxi.web.errors.page_not_found"
handler500 = "guanxi.web.errors.server_error"
