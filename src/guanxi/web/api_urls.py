"""REST API v1 URLs: the apps' endpoints, the OpenAPI schema and its docs.

The docs are DRF's own browsable pages, served from this server: Swagger UI and
ReDoc would load their code from a CDN (``drf-spectacular-sidecar``, which ships
them as static files, is not installed), and nothing is fetched from the internet
at run time. ``/api/v1/docs/`` lists every endpoint with its parameters from the
OpenAPI schema; in a browser each endpoint is itself a browsable page with forms.
"""

from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

_METHODS = ("get", "post", "put", "patch", "delete")


class ApiDocsView(APIView):
    """Guanxi REST API v1.

    Authenticate with a token: `Authorization: Token <key>` (create one with
    `guanxi api-token USERNAME`). Every endpoint applies the caller's role: account
    managers see only their own customers, operations see masked contact fields,
    analysts see pseudonymous ids. The machine-readable OpenAPI 3 schema is at
    `schema`.
    """

    # Public, like the schema: it describes the API and holds no data.
    permission_classes = [AllowAny]
    # The schema of the docs page itself would only repeat the schema.
    schema = None

    def get_view_name(self) -> str:
        return "Guanxi API v1"

    def get(self, request: Request) -> Response:
        generator = SchemaGenerator()  # type: ignore[no-untyped-call]
        spec: dict[str, Any] = generator.get_schema(  # type: ignore[no-untyped-call]
            request=request, public=True
        )
        endpoints = []
        for route, operations in spec.get("paths", {}).items():
            for method in _METHODS:
                operation = operations.get(method)
                if operation is None:
                    continue
                endpoints.append(
                    {
                        "method": method.upper(),
                        "path": route,
                        "summary": operation.get("summary", ""),
                        "description": operation.get("description", ""),
                        "parameters": [
                            {
                                "name": p["name"],
                                "in": p["in"],
                                "description": p.get("description", ""),
                            }
                            for p in operation.get("parameters", [])
                        ],
                        "responses": sorted(operation.get("responses", {})),
                    }
                )
        return Response(
            {
                "title": spec["info"]["title"],
                "version": spec["info"]["version"],
                "schema": request.build_absolute_uri(reverse("api-schema")),
                "authentication": "Authorization: Token <key>",
                "endpoints": endpoints,
            }
        )


urlpatterns = [
    path("", include("guanxi.customers.api.urls")),
    path("", include("guanxi.commerce.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(), name="api-docs"),
]
