"""Routes of the journeys API (mounted under /api/v1/ by guanxi.web.api_urls)."""

from __future__ import annotations

from django.urls import path

from guanxi.journeys.api.views import EnrolmentViewSet, JourneyViewSet

urlpatterns = [
    path(
        "journeys/",
        JourneyViewSet.as_view({"get": "list", "post": "create"}),
        name="api-journey-list",
    ),
    path(
        "journeys/<slug:slug>/",
        JourneyViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-journey-detail",
    ),
    path(
        "journeys/<slug:slug>/enable/",
        JourneyViewSet.as_view({"post": "enable"}),
        name="api-journey-enable",
    ),
    path(
        "journeys/<slug:slug>/disable/",
        JourneyViewSet.as_view({"post": "disable"}),
        name="api-journey-disable",
    ),
    path(
        "journeys/<slug:slug>/report/",
        JourneyViewSet.as_view({"get": "report"}),
        name="api-journey-report",
    ),
    path(
        "enrolments/",
        EnrolmentViewSet.as_view({"get": "list"}),
        name="api-enrolment-list",
    ),
]
