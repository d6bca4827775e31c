"""The API's docs: Swagger UI and ReDoc from this server's static files, no CDN."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.access import World, make_client

ENDPOINTS = {
    ("GET", "/api/v1/coupons/definitions/"),
    ("POST", "/api/v1/coupons/definitions/{slug}/issue/"),
    ("GET", "/api/v1/coupons/issued/"),
    ("GET", "/api/v1/needs/"),
    ("GET", "/api/v1/needs/{id}/"),
    ("POST", "/api/v1/needs/{id}/status/"),
    ("GET", "/api/v1/journeys/"),
    ("POST", "/api/v1/journeys/"),
    ("GET", "/api/v1/journeys/{slug}/"),
    ("PUT", "/api/v1/journeys/{slug}/"),
    ("POST", "/api/v1/journeys/{slug}/enable/"),
    ("POST", "/api/v1/journeys/{slug}/disable/"),
    ("GET", "/api/v1/journeys/{slug}/report/"),
    ("GET", "/api/v1/enrolments/"),
    ("GET", "/api/v1/feedback/tickets/"),
    ("POST", "/api/v1/feedback/tickets/"),
    ("GET", "/api/v1/feedback/tickets/{id}/"),
    ("POST", "/api/v1/feedback/tickets/{id}/reply/"),
    ("POST", "/api/v1/feedback/tickets/{id}/status/"),
    ("GET", "/api/v1/feedback/tickets/{id}/attachments/"),
    ("POST", "/api/v1/feedback/tickets/{id}/attachments/"),
    ("GET", "/api/v1/customers/"),
    ("POST", "/api/v1/customers/"),
    ("GET", "/api/v1/customers/{id}/"),
    ("PUT", "/api/v1/customers/{id}/"),
    ("PATCH", "/api/v1/customers/{id}/"),
    ("POST", "/api/v1/interactions/"),
    ("GET", "/api/v1/orders/"),
    ("POST", "/api/v1/orders/"),
    ("GET", "/api/v1/orders/{id}/"),
    ("POST", "/api/v1/orders/bulk/"),
    ("GET", "/api/v1/tags/"),
    ("GET", "/api/v1/customers/{customer_id}/tags/"),
    ("POST", "/api/v1/customers/{customer_id}/tags/"),
    ("DELETE", "/api/v1/customers/{customer_id}/tags/{tag_id}/"),
    ("GET", "/api/v1/customers/{customer_id}/consent/"),
    ("POST", "/api/v1/customers/{customer_id}/consent/"),
    ("GET", "/api/v1/messages/templates/"),
    ("POST", "/api/v1/messages/templates/"),
    ("GET", "/api/v1/messages/templates/{id}/"),
    ("PUT", "/api/v1/messages/templates/{id}/"),
    ("PATCH", "/api/v1/messages/templates/{id}/"),
    ("DELETE", "/api/v1/messages/templates/{id}/"),
    ("GET", "/api/v1/messages/"),
    ("GET", "/api/v1/messages/{id}/"),
    ("GET", "/api/v1/care/tasks/"),
    ("POST", "/api/v1/care/tasks/{id}/close/"),
    ("GET", "/api/v1/care/warnings/"),
    ("GET", "/api/v1/scores/"),
    ("GET", "/api/v1/scores/runs/"),
    ("GET", "/api/v1/customers/{id}/scores/"),
    ("GET", "/api/v1/segments/"),
    ("POST", "/api/v1/segments/"),
    ("GET", "/api/v1/segments/{id}/"),
    ("PUT", "/api/v1/segments/{id}/"),
    ("PATCH", "/api/v1/segments/{id}/"),
    ("DELETE", "/api/v1/segments/{id}/"),
    ("GET", "/api/v1/segments/{id}/members/"),
    ("GET", "/api/v1/segments/{id}/count/"),
    ("POST", "/api/v1/segments/count/"),
    ("GET", "/api/v1/surveys/"),
    ("GET", "/api/v1/surveys/invitations/"),
    ("GET", "/api/v1/surveys/answers/"),
}


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/api/v1/docs/", '<div id="swagger-ui"></div>'),
        ("/api/v1/redoc/", '<redoc spec-url="/api/v1/schema/"></redoc>'),
    ],
)
def test_docs_pages_load_everything_from_this_server(
    db: Any, path: str, marker: str
) -> None:
    client = make_client()
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Guanxi API</title>" in html
    assert marker in html
    assert not re.search(r"https?://", html), "a page that reaches the internet"
    assets = _assets(html)
    assert assets
    for asset in assets:  # each one served here, by WhiteNoise
        if asset.startswith(f"{path}?script"):
            # Swagger UI's set-up as a script of its own (no inline script:
            # the Content-Security-Policy allows none without its nonce).
            served = client.get(asset)
            assert served["Content-Type"] == "application/javascript"
            continue
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        b"".join(served.streaming_content)
        served.close()


def test_swagger_ui_reads_the_schema_and_the_schema_lists_every_endpoint(
    db: Any,
) -> None:
    client = make_client()
    script = client.get("/api/v1/docs/?script=").content.decode()
    assert 'url: "/api/v1/schema/"' in script
    spec = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    routes = {
        (method.upper(), route)
        for route, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert routes == ENDPOINTS
    assert spec["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }


@pytest.mark.parametrize(
    ("language", "label"), [("en", "API documentation"), ("zh-hans", "API 文档")]
)
def test_the_user_menu_links_to_the_docs(
    client_for: Any, world: World, language: str, label: str
) -> None:
    html = client_for("analyst", language).get("/").content.decode()
    assert f'<a href="/api/v1/docs/">{label}</a>' in html


@pytest.mark.parametrize(
    ("language", "summaries"),
    [
        (
            "en",
            {
                "List customers",
                "Record many orders at once",
                "List segments",
                "Count unsaved rules",
            },
        ),
        (
            "zh-hans",
            {"客户列表", "一次记录多个订单", "分群列表", "统计未保存规则的人数"},
        ),
    ],
)
def test_the_schema_speaks_the_readers_language(
    db: Any, language: str, summaries: set[str]
) -> None:
    spec = (
        make_client()
        .get(
            "/api/v1/schema/",
            HTTP_ACCEPT="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        .json()
    )
    found = {
        operation["summary"]
        for operations in spec["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict) and "summary" in operation
    }
    assert summaries <= found
