"""Routes of the scores API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from guanxi.insights.api.views import CustomerScoresView, RunViewSet, ScoreViewSet

router = SimpleRouter()
router.register("scores/runs", RunViewSet, basename="api-score-run")
router.register("scores", ScoreViewSet, basename="api-score")

urlpatterns = [
    path(
        "customers/<str:pk>/scores/",
        CustomerScoresView.as_view(),
        name="api-customer-scores",
    ),
    *router.urls,
]
