"""Routes of the messaging API: consent and the outbox (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from guanxi.messaging.api.template_views import TemplateViewSet
from guanxi.messaging.api.views import ConsentViewSet, MessageViewSet

router = SimpleRouter()
router.register("messages", MessageViewSet, basename="api-message")

urlpatterns = [
    path(
        "customers/<str:customer_id>/consent/",
        ConsentViewSet.as_view({"get": "list", "post": "create"}),
        name="api-customer-consent",
    ),
    path(
        "messages/templates/",
        TemplateViewSet.as_view({"get": "list", "post": "create"}),
        name="api-message-template-list",
    ),
    path(
        "messages/templates/<int:pk>/",
        TemplateViewSet.as_view(
            {
                "get": "retrieve",
                "put": "update",
                "patch": "partial_update",
                "delete": "destroy",
            }
        ),
        name="api-message-template-detail",
    ),
    # Before the router: its detail route would take "templates" for an id.
    *router.urls,
]
