"""REST API v1 URLs: the apps' endpoints, the OpenAPI schema and its docs.

``docs/`` is Swagger UI (try the endpoints with a token) and ``redoc/`` is
ReDoc (reading), both rendered from ``schema/`` and served with their
JavaScript from this server (``drf-spectacular-sidecar``'s static files), so
nothing is fetched from the internet at run time. Like the schema, they are
public: they describe the API and hold no data. Authenticate with
``Authorization: Token <key>`` (``guanxi api-token USERNAME``).
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

urlpatterns = [
    path("", include("guanxi.customers.api.urls")),
    path("", include("guanxi.commerce.api.urls")),
    path("", include("guanxi.segments.api.urls")),
    path("", include("guanxi.insights.api.urls")),
    path("", include("guanxi.tags.api.urls")),
    path("", include("guanxi.messaging.api.urls")),
    path("", include("guanxi.care.api.urls")),
    path("", include("guanxi.feedback.api.urls")),
    path("", include("guanxi.surveys.api.urls")),
    path("", include("guanxi.coupons.api.urls")),
    path("", include("guanxi.journeys.api.urls")),
    path("", include("guanxi.needs.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(
            url_name="api-schema", template_name="web/api_redoc.html"
        ),
        name="api-redoc",
    ),
]
