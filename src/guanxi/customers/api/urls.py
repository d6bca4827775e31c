"""Routes of the customers API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from guanxi.customers.api.views import CustomerViewSet, InteractionViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="api-customer")
router.register("interactions", InteractionViewSet, basename="api-interaction")

urlpatterns = router.urls
