"""Routes of the orders API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from guanxi.commerce.api.views import OrderViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="api-order")

urlpatterns = router.urls
