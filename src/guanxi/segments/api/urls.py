"""Routes of the segments API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from guanxi.segments.api.views import SegmentViewSet

router = SimpleRouter()
router.register("segments", SegmentViewSet, basename="api-segment")

urlpatterns = router.urls
